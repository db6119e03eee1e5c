/**
 * Runs oidc-provider (a certified OpenID provider, npm) on 127.0.0.1 in a Node process of its
 * own, whichever runtime runs the tests (it relies on Node's HTTP internals).
 *
 * @module
 */

import { spawn } from "node:child_process";
import { repoPath } from "./paths.ts";

/** A running oidc-provider. */
export interface OidcProvider {
  /** Its issuer, `http://127.0.0.1:<port>`. */
  issuer: string;
  /** Stops it. Idempotent. */
  close(): void;
}

/**
 * Starts oidc-provider with one native public client whose redirect URIs are
 * `http://127.0.0.1/cb` and `http://127.0.0.1/` (matched exactly, any port).
 *
 * @param clientId the client id to register
 * @returns the provider
 */
export function startOidcProvider(clientId = "entra-auth-oidc-test"): Promise<OidcProvider> {
  const child = spawn(
    "node",
    [repoPath("tests", "support", "oidc_provider_server.mjs"), clientId],
    {
      stdio: ["pipe", "pipe", "ignore"],
    },
  );
  const close = () => {
    child.stdin?.end();
    child.kill("SIGKILL");
  };
  return new Promise<OidcProvider>((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => {
      close();
      reject(new Error("oidc-provider did not start within 20 s"));
    }, 20_000);
    child.stdout!.on("data", (d) => {
      out += d;
      // oidc-provider prints warnings on stdout too: find our line.
      const line = out.split("\n").find((l) => l.startsWith("{\"issuer\""));
      if (line) {
        clearTimeout(timer);
        resolve({ issuer: JSON.parse(line).issuer, close });
      }
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`oidc-provider exited (${code})`));
    });
  });
}

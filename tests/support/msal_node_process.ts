/**
 * @azure/msal-node in a Node process of its own (tests/support/msal_node_driver.mjs), so the
 * interop tests run under Deno and Bun as under Node: msal-node is a Node library, and the
 * users who share a cache with us run it on Node.
 *
 * @module
 */

import { spawn } from "node:child_process";
import { CLIENT, TENANT } from "../cache/helpers.ts";
import { authorityMetadata, cloudDiscoveryMetadata } from "../cache/msal_node.ts";
import { repoPath } from "./paths.ts";

/** One step msal-node takes (see the driver). */
export type MsalNodeStep =
  | { op: "accounts"; }
  | { op: "silent"; homeAccountId: string; scopes: string[]; }
  | { op: "byCode"; scopes: string[]; redirectUri?: string; }
  | { op: "serialize"; };

/** An account as msal-node reports it. */
export interface MsalNodeAccount {
  homeAccountId: string;
  environment: string;
  tenantId: string;
  username: string;
  name?: string;
}

/** What msal-node did: one result per step, and the requests it tried to send. */
export interface MsalNodeRun {
  // deno-lint-ignore no-explicit-any
  results: any[];
  networkCalls: string[];
}

/**
 * Runs msal-node offline for the test client and tenant, with a cache given as text or as
 * a file read and written by msal-node's file cache plug-in.
 *
 * @param options the cache, queued token replies, the steps
 * @returns the results; a step that failed has `{ error }`
 * @example
 * ```ts ignore
 * const run = await runMsalNode({ cache: { serialized: "{}" }, steps: [{ op: "accounts" }] });
 * console.log(run.results[0]); // []
 * ```
 */
export function runMsalNode(options: {
  cache?: { serialized: string; } | { file: string; };
  tokenResponses?: unknown[];
  steps: MsalNodeStep[];
  timeoutMs?: number;
}): Promise<MsalNodeRun> {
  const command = {
    auth: {
      clientId: CLIENT,
      authority: `https://login.microsoftonline.com/${TENANT}`,
      cloudDiscoveryMetadata,
      authorityMetadata,
    },
    cache: options.cache,
    tokenResponses: options.tokenResponses ?? [],
    steps: options.steps,
  };
  return new Promise((resolve, reject) => {
    const child = spawn("node", [repoPath("tests", "support", "msal_node_driver.mjs")], {
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (d) => (stdout += d));
    child.stderr!.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 30_000);
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(new Error(`cannot start node for msal-node: ${err.message}`, { cause: err }));
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const line = stdout.trim().split("\n").pop() ?? "";
      try {
        resolve(JSON.parse(line) as MsalNodeRun);
      } catch {
        reject(new Error(`msal-node driver failed (exit ${code}, ${signal}):\n${stderr}`));
      }
    });
    child.stdin!.end(JSON.stringify(command));
  });
}

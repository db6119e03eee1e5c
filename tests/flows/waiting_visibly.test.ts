/**
 * What a user sees while a browser sign-in waits, and after it: the URL is logged (without the
 * login hint) for a user whose browser did not open, and the app's own success and error pages
 * (msal-node's successTemplate / errorTemplate) are shown by the loopback server.
 */

import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { describe, it } from "node:test";
import { PublicClientApplication, ServerError } from "../../mod.ts";
import {
  ALICE,
  makeNetworkEmulator,
  TEST_CLIENT_ID,
  TEST_TENANT_ID,
} from "../support/network_emulator.ts";

const AUTHORITY = `https://login.microsoftonline.com/${TEST_TENANT_ID}`;
const SCOPES = ["User.Read"];

describe("waiting visibly for a browser sign-in", { timeout: 60_000 }, () => {
  it("logs the URL to open, without the login hint, and shows the success template", async () => {
    const emulator = makeNetworkEmulator();
    const logs: string[] = [];
    let page = "";
    const app = new PublicClientApplication({
      clientId: TEST_CLIENT_ID,
      authority: AUTHORITY,
      fetch: emulator.fetch,
      successTemplate: "<p>Signed in to My App. You can close this tab.</p>",
      logger: { level: "info", loggerCallback: (_level, message) => logs.push(message) },
      openBrowser: async (url) => {
        const res = await emulator.fetch(url, { redirect: "manual" });
        const location = res.headers.get("location")!;
        void fetch(location).then(async (r) => (page = await r.text()));
      },
    });
    await app.acquireTokenInteractive({ scopes: SCOPES, loginHint: ALICE });
    const line = logs.find((m) => m.includes("open this URL"));
    assert.ok(line, `no URL logged: ${JSON.stringify(logs)}`);
    assert.match(line, /oauth2\/v2\.0\/authorize\?/);
    assert.doesNotMatch(line, /login_hint|alice/i);
    for (let i = 0; i < 50 && !page; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(page, "<p>Signed in to My App. You can close this tab.</p>");
  });

  it("fills the error template with the escaped error", async () => {
    const emulator = makeNetworkEmulator();
    let page = "";
    const app = new PublicClientApplication({
      clientId: TEST_CLIENT_ID,
      authority: AUTHORITY,
      fetch: emulator.fetch,
      errorTemplate: "<h1>Failed: {{error}}</h1><p>{{error_description}}</p>",
      openBrowser: (url) => {
        const params = new URL(url).searchParams;
        const back = new URL(params.get("redirect_uri")!);
        back.hostname = "127.0.0.1";
        back.searchParams.set("error", "access_denied");
        back.searchParams.set("error_description", "<b>declined</b>");
        back.searchParams.set("state", params.get("state")!);
        void fetch(back).then(async (r) => (page = await r.text()));
      },
    });
    const err = await app.acquireTokenInteractive({ scopes: SCOPES }).catch((e) => e);
    assert.ok(err instanceof ServerError, String(err));
    for (let i = 0; i < 50 && !page; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(page, "<h1>Failed: access_denied</h1><p>&lt;b&gt;declined&lt;/b&gt;</p>");
  });

  it("with no logger, writes the URL to stderr after opening the system browser", {
    skip: process.platform === "linux" ? false : "uses a stand-in xdg-open",
  }, async () => {
    const emulator = makeNetworkEmulator();
    // A system "browser" that opens nothing, as on a desktop whose browser is broken.
    const bin = mkdtempSync(join(tmpdir(), "entra-auth-xdg-"));
    writeFileSync(join(bin, "xdg-open"), "#!/bin/sh\nexit 0\n");
    chmodSync(join(bin, "xdg-open"), 0o755);
    const saved = { PATH: process.env.PATH, DISPLAY: process.env.DISPLAY };
    const savedSsh = ["SSH_CONNECTION", "SSH_CLIENT", "SSH_TTY"].map((k) => [k, process.env[k]]);
    const originalError = console.error;
    const printed: string[] = [];
    let delivered: Promise<unknown> | undefined;
    try {
      process.env.PATH = `${bin}:${saved.PATH ?? ""}`;
      process.env.DISPLAY = ":99";
      for (const [k] of savedSsh) delete process.env[k!];
      // The user reads the URL from the terminal and opens it by hand.
      console.error = (...args: unknown[]) => {
        const line = args.join(" ");
        printed.push(line);
        const url = /open this URL: (\S+)/.exec(line)?.[1];
        if (url && !delivered) {
          // On the page, the user signs in as Alice (the emulator does it by login_hint).
          const page = new URL(url);
          page.searchParams.set("login_hint", ALICE);
          delivered = emulator.fetch(page, { redirect: "manual" }).then((res) =>
            fetch(res.headers.get("location")!).then((r) => r.text())
          );
        }
      };
      const app = new PublicClientApplication({
        clientId: TEST_CLIENT_ID,
        authority: AUTHORITY,
        fetch: emulator.fetch,
      });
      const result = await app.acquireTokenInteractive({
        scopes: SCOPES,
        loginHint: ALICE,
        timeoutMs: 30_000,
      });
      assert.equal(result.account.username, ALICE);
    } finally {
      console.error = originalError;
      process.env.PATH = saved.PATH;
      if (saved.DISPLAY === undefined) delete process.env.DISPLAY;
      else process.env.DISPLAY = saved.DISPLAY;
      for (const [k, v] of savedSsh) if (v !== undefined) process.env[k!] = v;
      rmSync(bin, { recursive: true, force: true });
    }
    assert.ok(
      printed.some((l) => l.startsWith("entra-auth: Waiting for the sign-in")),
      printed.join("\n"),
    );
    assert.ok(printed.every((l) => !l.includes("login_hint")), "the login hint was printed");
    assert.ok(delivered, "no URL to open was printed");
    await delivered;
  });
});

/**
 * Without a browser the sign-in fails fast and leaves nothing behind: the headless check runs
 * before the authority is asked (an unreachable authority cost 30 s), an opener that starts
 * and then fails (xdg-open exiting non-zero) is `no_browser` (it waited out the 10-minute
 * limit), and after either, or an `openBrowser` that throws, the process ends by itself
 * (the loopback's wait timer kept it alive for 10 minutes).
 */

import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { after, before, describe, it } from "node:test";
import { EntraAuthError } from "../../src/errors.ts";
import { OPENER_GRACE_MS, openSystemBrowser } from "../../src/network/browser.ts";
import { runFixture } from "../support/fixtures.ts";

let hung: Server;
let hungUrl = "";
const sockets = new Set<{ destroy(): void; }>();
let bin = "";

before(async () => {
  hung = createServer(() => {/* accepts, never answers */});
  hung.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((r) => hung.listen(0, "127.0.0.1", r));
  hungUrl = `http://127.0.0.1:${(hung.address() as AddressInfo).port}/tenant`;
  bin = mkdtempSync(join(tmpdir(), "entra-auth-opener-"));
  for (const [name, body] of [["fail", "exit 3"], ["ok", "exit 0"], ["slow", "sleep 30"]]) {
    writeFileSync(join(bin, `${name}.sh`), `#!/bin/sh\n${body}\n`);
  }
});
after(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((r) => hung.close(r));
  rmSync(bin, { recursive: true, force: true });
});

/** A folder whose xdg-open runs `<kind>.sh`. */
function opener(kind: string): string {
  const dir = mkdtempSync(join(bin, `${kind}-`));
  writeFileSync(
    join(dir, "xdg-open"),
    `#!/bin/sh\nPATH=/usr/bin:/bin exec /bin/sh ${join(bin, `${kind}.sh`)}\n`,
  );
  chmodSync(join(dir, "xdg-open"), 0o755);
  return dir;
}

const URL_ = "https://login.example/authorize?x=1";

describe("system browser opener", { timeout: 60_000 }, () => {
  it("an opener that exits non-zero is no_browser", async () => {
    const started = Date.now();
    await assert.rejects(
      openSystemBrowser(URL_, { platform: "linux", env: { DISPLAY: ":0", PATH: opener("fail") } }),
      (err) =>
        err instanceof EntraAuthError && err.code === "no_browser" && /code 3/.test(err.message),
    );
    assert.ok(Date.now() - started < OPENER_GRACE_MS + 2_000);
  });

  it("an opener that exits 0, or keeps running, is success", async () => {
    await openSystemBrowser(URL_, {
      platform: "linux",
      env: { DISPLAY: ":0", PATH: opener("ok") },
    });
    const started = Date.now();
    await openSystemBrowser(URL_, {
      platform: "linux",
      env: { DISPLAY: ":0", PATH: opener("slow") },
    });
    assert.ok(Date.now() - started >= OPENER_GRACE_MS - 100);
  });

  it("a missing opener is no_browser", async () => {
    await assert.rejects(
      openSystemBrowser(URL_, { platform: "linux", env: { DISPLAY: ":0", PATH: bin } }),
      (err) => err instanceof EntraAuthError && err.code === "no_browser",
    );
  });
});

const NO_DISPLAY = {
  DISPLAY: undefined,
  WAYLAND_DISPLAY: undefined,
  SSH_CONNECTION: undefined,
  SSH_CLIENT: undefined,
  SSH_TTY: undefined,
};

async function run(mode: string, env: Record<string, string | undefined>) {
  const started = Date.now();
  const result = await runFixture("browser_app", [mode, hungUrl], { env, timeoutMs: 45_000 });
  const exitMs = Date.now() - started;
  const line = result.stdout.trim().split("\n").at(-1) ?? "";
  let outcome: { code: string; elapsedMs: number; } | undefined;
  try {
    outcome = JSON.parse(line);
  } catch {
    assert.fail(`no result line; stdout ${result.stdout} stderr ${result.stderr}`);
  }
  return { outcome: outcome!, exitMs, result };
}

describe("no browser: fails fast, then the process ends by itself", { timeout: 120_000 }, () => {
  it("headless: no_browser before the (hung) authority is asked", async () => {
    const { outcome, exitMs, result } = await run("headless", NO_DISPLAY);
    assert.equal(outcome.code, "no_browser", result.stderr);
    assert.ok(outcome.elapsedMs < 5_000, `no_browser after ${outcome.elapsedMs} ms`);
    assert.equal(result.signal, null, "killed: the process did not end by itself");
    assert.ok(exitMs < 20_000, `exited after ${exitMs} ms`);
  });

  it("an openBrowser that throws: the process ends by itself", async () => {
    const { outcome, exitMs, result } = await run("opener-throws", {});
    assert.match(outcome.code, /^untyped: Error: this opener always fails$|^no_browser$/);
    assert.equal(result.signal, null, "killed: the process did not end by itself");
    assert.ok(exitMs < 20_000, `exited after ${exitMs} ms`);
  });

  it("xdg-open exits non-zero: no_browser, and the process ends by itself", async () => {
    const { outcome, exitMs, result } = await run("opener-fails", {
      ...NO_DISPLAY,
      DISPLAY: ":0",
      PATH: `${opener("fail")}:${process.env.PATH}`,
    });
    assert.equal(outcome.code, "no_browser", result.stderr);
    assert.equal(result.signal, null, "killed: the process did not end by itself");
    assert.ok(exitMs < 20_000, `exited after ${exitMs} ms`);
  });
});

describe("an already aborted signal", () => {
  it("starts nothing: no browser is opened", async () => {
    const { acquireByAuthCode } = await import("../../src/network/client.ts");
    let opened = false;
    await assert.rejects(
      acquireByAuthCode({
        clientId: "c",
        authority: "http://127.0.0.1:9/t",
        authorityType: "oidc",
        authorityMetadata: {
          issuer: "http://127.0.0.1:9/t",
          authorization_endpoint: "http://127.0.0.1:9/authorize",
          token_endpoint: "http://127.0.0.1:9/token",
        },
        scopes: ["User.Read"],
        signal: AbortSignal.abort(),
        openBrowser: () => {
          opened = true;
        },
      }),
      (err) => err instanceof EntraAuthError && err.code === "aborted",
    );
    assert.equal(opened, false, "the browser was opened for an aborted sign-in");
  });
});

describe("app callbacks that never settle", { timeout: 30_000 }, () => {
  const METADATA = {
    issuer: "http://127.0.0.1:9/t",
    authorization_endpoint: "http://127.0.0.1:9/authorize",
    token_endpoint: "http://127.0.0.1:9/token",
    device_authorization_endpoint: "http://127.0.0.1:9/devicecode",
  };
  it("an openBrowser that never settles still ends at timeoutMs", async () => {
    const { acquireByAuthCode } = await import("../../src/network/client.ts");
    const started = Date.now();
    await assert.rejects(
      acquireByAuthCode({
        clientId: "c",
        authority: "http://127.0.0.1:9/t",
        authorityType: "oidc",
        authorityMetadata: METADATA,
        scopes: ["User.Read"],
        timeoutMs: 300,
        openBrowser: () => new Promise<void>(() => {}),
      }),
      (err) => err instanceof EntraAuthError && err.code === "timeout",
    );
    assert.ok(Date.now() - started < 10_000);
  });

  it("a deviceCodeCallback that never settles still ends at the signal", async () => {
    const { acquireByDeviceCode } = await import("../../src/network/client.ts");
    const fetch = () =>
      Promise.resolve(
        new Response(
          JSON.stringify({
            user_code: "A",
            device_code: "d",
            verification_uri: "http://127.0.0.1/d",
            expires_in: 900,
            interval: 1,
          }),
          { status: 200, headers: { "content-type": "application/json" } },
        ),
      );
    const started = Date.now();
    await assert.rejects(
      acquireByDeviceCode({
        clientId: "c",
        authority: "http://127.0.0.1:9/t",
        authorityType: "oidc",
        authorityMetadata: METADATA,
        scopes: ["User.Read"],
        fetch,
        signal: AbortSignal.timeout(300),
        deviceCodeCallback: () => new Promise<void>(() => {}),
      }),
      (err) => err instanceof EntraAuthError && err.code === "aborted",
    );
    assert.ok(Date.now() - started < 10_000);
  });
});

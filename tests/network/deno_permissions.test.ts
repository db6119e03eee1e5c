/**
 * On Deno, a permission the app was not started with is a `PermissionDeniedError` (code
 * `permission_denied`) naming the flag: not a `network_error`, not "xdg-open could not be
 * started: install it", and never an uncaught exception (a refused listen ended the process).
 * Each case runs a restricted Deno process (no `-A`, `--no-prompt`). Deno only: Bun and Node
 * have no such flags.
 */

import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import process from "node:process";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { currentRuntime } from "../../ffi/runtime.ts";

const skip = currentRuntime() !== "deno" ? "Deno's permission flags exist only on Deno" : false;
const fixture = join(
  dirname(fileURLToPath(import.meta.url)),
  "..",
  "fixtures",
  "permission_app.ts",
);

let server: Server;
let origin = "";
before(async () => {
  server = createServer((req, res) => {
    const json = (body: unknown) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (req.url === "/devicecode") {
      return json({
        user_code: "ABCD",
        device_code: "dc",
        verification_uri: `${origin}/device`,
        expires_in: 900,
        interval: 1,
      });
    }
    if (req.url === "/token") {
      const now = Math.floor(Date.now() / 1000);
      const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
      return json({
        token_type: "Bearer",
        scope: "User.Read",
        expires_in: 3600,
        access_token: "at",
        refresh_token: "rt",
        id_token: `${enc({ alg: "none" })}.${
          enc({
            iss: `${origin}/tenant`,
            aud: "00000000-0000-4000-8000-000000000001",
            sub: "user",
            exp: now + 3600,
            iat: now,
          })
        }.`,
      });
    }
    res.writeHead(500);
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise((r) => server.close(r)));

function restricted(
  flags: string[],
  flow: string,
  env: Record<string, string> = {},
  extra: string[] = [],
): Promise<{ name: string; code: string; flag?: string; message: string; }> {
  return new Promise((resolve, reject) => {
    const childEnv: Record<string, string> = { PATH: process.env.PATH ?? "", ...env };
    // Deno rewrites a bare `deno run script` spawned by node:child_process (as if it were
    // node's), granting everything: one explicit permission flag keeps it as written.
    const args = [
      "run",
      "--no-prompt",
      ...(flags.some((f) => f.startsWith("--allow-sys")) ? [] : ["--allow-sys=hostname"]),
      ...flags,
      fixture,
      flow,
      origin,
      ...extra,
    ];
    const child = spawn(process.execPath, args, {
      env: childEnv,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.on("close", (code) => {
      clearTimeout(timer);
      const line = out.trim().split("\n").at(-1) ?? "";
      try {
        resolve(JSON.parse(line));
      } catch {
        reject(new Error(`exit ${code}, no result; stdout ${out} stderr ${err}`));
      }
    });
  });
}

describe("Deno permissions", { skip, timeout: 120_000 }, () => {
  it("no --allow-net: the token request names --allow-net", async () => {
    const r = await restricted([], "device");
    assert.equal(r.code, "permission_denied", r.message);
    assert.equal(r.name, "PermissionDeniedError");
    assert.equal(r.flag, "--allow-net");
    assert.match(r.message, /--allow-net/);
  });

  it("no --allow-env: finding a browser names --allow-env", async () => {
    const r = await restricted(["--allow-net", "--allow-run"], "browser", { DISPLAY: ":0" });
    assert.equal(r.code, "permission_denied", r.message);
    assert.equal(r.flag, "--allow-env");
  });

  it("no --allow-run: opening the browser names --allow-run, not 'install it'", async () => {
    const r = await restricted(["--allow-net", "--allow-env"], "browser", { DISPLAY: ":0" });
    assert.equal(r.code, "permission_denied", r.message);
    assert.equal(r.flag, "--allow-run");
    assert.doesNotMatch(r.message, /install it/i);
  });

  it("no --allow-net: the loopback server names --allow-net (no uncaught exception)", async () => {
    const r = await restricted(["--allow-env", "--allow-run"], "browser", { DISPLAY: ":0" });
    assert.equal(r.code, "permission_denied", r.message);
    assert.equal(r.flag, "--allow-net");
    assert.match(
      r.message,
      /^Listening on 127\.0\.0\.1 for the sign-in redirect needs Deno's --allow-net permission for 127\.0\.0\.1,/,
    );
  });

  it("persistent cache: no --allow-read / --allow-write / --allow-env names the flag", async () => {
    const dir = mkdtempSync(join(tmpdir(), "entra-auth-perm-"));
    const path = join(dir, "cache.json");
    try {
      const all = ["--allow-net", "--allow-env", "--allow-read", "--allow-write"];
      const without = (flag: string) => all.filter((f) => f !== flag);
      const ok = await restricted(all, "cache", {}, [path]);
      assert.equal(ok.code, "signed_in", ok.message);
      const read = await restricted(without("--allow-read"), "cache", {}, [path]);
      assert.equal(read.code, "permission_denied", read.message);
      assert.equal(read.flag, "--allow-read");
      rmSync(path, { force: true });
      const write = await restricted(without("--allow-write"), "cache", {}, [path]);
      assert.equal(write.code, "permission_denied", write.message);
      assert.equal(write.flag, "--allow-write");
      // The default folder needs the home folder (--allow-sys) and the environment.
      const sys = await restricted(without("--allow-env"), "cache-default", { HOME: dir });
      assert.equal(sys.code, "permission_denied", sys.message);
      assert.equal(sys.flag, "--allow-sys");
      const env = await restricted(
        [...without("--allow-env"), "--allow-sys"],
        "cache-default",
        { HOME: dir },
      );
      assert.equal(env.code, "permission_denied", env.message);
      assert.equal(env.flag, "--allow-env");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

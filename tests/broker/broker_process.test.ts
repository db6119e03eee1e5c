/**
 * Brokered apps in their own processes: what depends on how MSALRuntime starts (no broker,
 * missing library, missing system library, no display), a broker that dies mid-call, and
 * logging with and without PII. Real libmsalruntime.so, emulated broker.
 */

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import process from "node:process";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { currentRuntime } from "../../ffi/runtime.ts";
import { brokerSkip } from "../support/broker.ts";
import { runFixture } from "../support/fixtures.ts";
import { msalRuntimeMissingDependency } from "../support/native.ts";
import { repoPath } from "../support/paths.ts";

interface Outcome {
  error?: { name: string; code: string; status?: number; missing?: string; message: string; };
  startError?: { code: string; missing?: string; message: string; };
  logs: { level: string; message: string; containsPii: boolean; }[];
  [key: string]: unknown;
}

async function run(
  scenario: string,
  options: { args?: string[]; env?: Record<string, string | undefined>; wrap?: string[]; } = {},
): Promise<Outcome> {
  const result = await runFixture("broker_app", [scenario, ...(options.args ?? [])], {
    env: options.env,
    wrapper: options.wrap,
    timeoutMs: 60_000,
  });
  const line = result.stdout.trim().split("\n").filter((l) => l.startsWith("{")).pop();
  assert.ok(
    line,
    `no result from the fixture (exit ${result.code}, ${result.signal}):\n${result.stderr}`,
  );
  return JSON.parse(line);
}

/**
 * Runs the "abandon" scenario (natural exit) in a broker session of its own, in a new
 * process group; after `limitMs` the group is stopped (TERM, then KILL).
 */
function runAbandoned(limitMs: number): Promise<{
  stopped: boolean;
  code: number | null;
  stdout: string;
  stderr: string;
}> {
  const extension = import.meta.url.endsWith(".ts") ? ".ts" : ".js";
  const fixture = fileURLToPath(new URL(`../fixtures/broker_app${extension}`, import.meta.url));
  const runtimeArgs = currentRuntime() === "deno" ? ["run", "-A", "--quiet", fixture] : [fixture];
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  delete env.RUST_BACKTRACE;
  const child = spawn(
    repoPath("scripts", "with-broker.sh"),
    ["--", process.execPath, ...runtimeArgs, "abandon", "natural"],
    { env, stdio: ["ignore", "pipe", "pipe"], detached: true },
  );
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d) => (stdout += d));
  child.stderr!.on("data", (d) => (stderr += d));
  return new Promise((resolve, reject) => {
    let stopped = false;
    const signalGroup = (signal: NodeJS.Signals) => {
      try {
        process.kill(-child.pid!, signal);
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(() => {
      stopped = true;
      signalGroup("SIGTERM");
      setTimeout(() => signalGroup("SIGKILL"), 5_000).unref?.();
    }, limitMs);
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      // Late output of the group's last members is not waited for: the result line is
      // printed before the app starts ending.
      setTimeout(() => {
        child.stdout!.destroy();
        child.stderr!.destroy();
        resolve({ stopped, code, stdout, stderr });
      }, 200);
    });
  });
}

const installCommand = {
  deno: "deno add npm:@azure/msal-node-runtime",
  bun: "bun add @azure/msal-node-runtime",
  node: "npm install @azure/msal-node-runtime",
}[currentRuntime()];

describe("brokered apps in their own process", { skip: brokerSkip }, () => {
  it("falls back, with a warning, when no broker answers on the bus", async () => {
    const out = await run("startup", {
      env: { DBUS_SESSION_BUS_ADDRESS: "unix:path=/nonexistent/bus" },
    });
    assert.equal(out.brokerAvailable, false);
    assert.equal(out.startupStatus, 6);
    // It fell back to signing in over the network, whose browser sign-in first finds that
    // this machine has no display (the headless check runs before any request).
    assert.equal(out.error?.code, "no_browser", JSON.stringify(out.error));
    assert.ok(
      out.logs.some((l) => l.level === "warning" && /broker is not running/.test(l.message)),
    );
  });

  it("names the install command for this runtime when the library is missing", async () => {
    const out = await run("startup", {
      env: { ENTRA_AUTH_MSALRUNTIME_PATH: "/nonexistent/libmsalruntime.so" },
    });
    assert.equal(out.startError?.code, "native_library_missing");
    assert.ok(out.startError?.message.includes(installCommand), out.startError?.message);
    // The network path's browser sign-in: no display here (checked before any request).
    assert.equal(out.error?.code, "no_browser", JSON.stringify(out.error));
    assert.ok(out.logs.some((l) => l.level === "warning" && l.message.includes(installCommand)));
  });

  it("warns exactly once per process, on the console when no logger is set", async () => {
    const out = await run("warn-once", {
      env: { ENTRA_AUTH_MSALRUNTIME_PATH: "/nonexistent/libmsalruntime.so" },
    });
    const warnings = out.warnings as string[];
    assert.equal(warnings.length, 1, JSON.stringify(warnings));
    assert.ok(warnings[0].includes(installCommand), warnings[0]);
    assert.match(warnings[0], /broker\.required/);
    assert.equal(out.accounts, 0);
    // It fell back to signing in without the broker: offline that ends in network_error, or
    // at once in no_browser where there is no display (the network path checks that first).
    const code = (out.error as Outcome["error"])?.code;
    assert.ok(code === "network_error" || code === "no_browser", JSON.stringify(out.error));
  });

  it("with broker.required, a missing library is a typed error naming the install step", async () => {
    const out = await run("required", {
      env: { ENTRA_AUTH_MSALRUNTIME_PATH: "/nonexistent/libmsalruntime.so" },
    });
    const errors = out.errors as NonNullable<Outcome["error"]>[];
    for (const err of errors) {
      assert.equal(err?.name, "BrokerError", JSON.stringify(err));
      assert.equal(err.code, "broker_unavailable");
      assert.ok(err.message.includes(installCommand), err.message);
    }
    assert.equal(out.fetched, 0, "no fallback to the network");
    assert.equal(out.popSupported, false, "isPopSupported() answers, never throws");
  });

  it("with broker.required, no broker on the bus is a typed error saying so", async () => {
    const out = await run("required", {
      env: { DBUS_SESSION_BUS_ADDRESS: "unix:path=/nonexistent/bus" },
    });
    const errors = out.errors as NonNullable<Outcome["error"]>[];
    for (const err of errors) {
      assert.equal(err?.code, "broker_unavailable", JSON.stringify(err));
      assert.match(err.message, /not running/);
    }
    assert.equal(out.fetched, 0, "no fallback to the network");
  });

  it("shares one MSALRuntime between apps: one closes, the other goes on, a new one starts again", async () => {
    const out = await run("shared", { args: ["natural"] });
    assert.equal(out.error, undefined, JSON.stringify(out));
    assert.deepEqual(out.steps, [
      "one signed in testuser@contoso.example",
      "two signed in testuser@contoso.example",
      "one closed",
      "two silent after one closed",
      "two lists 1",
      "two closed",
      "three signed in testuser@contoso.example",
      "three silent",
      "three closed",
    ]);
  });

  it("names the missing system library and the package that provides it", async () => {
    const out = await run("startup", {
      env: { ENTRA_AUTH_MSALRUNTIME_PATH: msalRuntimeMissingDependency() },
    });
    assert.equal(out.startError?.code, "native_dependency_missing");
    assert.equal(out.startError?.missing, "libsoup-2.4.so.1");
    assert.match(out.startError?.message ?? "", /apt-get install libsoup2\.4-1/);
  });

  it("refuses the console window handle without a display, saying what to do", async () => {
    const out = await run("interactive", { env: { DISPLAY: undefined } });
    assert.equal(out.error?.code, "no_window", JSON.stringify(out.error));
    assert.match(out.error?.message ?? "", /DISPLAY/);
  });

  it("uses the X11 root window as the console window when there is a display", async () => {
    const display = 90 + Math.floor(Math.random() * 100);
    const xvfb = spawn("Xvfb", [`:${display}`, "-nolisten", "tcp"], { stdio: "ignore" });
    try {
      for (let i = 0; i < 100 && !existsSync(`/tmp/.X11-unix/X${display}`); i++) {
        await new Promise((r) => setTimeout(r, 50));
      }
      const out = await run("interactive", { env: { DISPLAY: `:${display}` } });
      assert.equal(out.error, undefined, JSON.stringify(out.error));
      assert.equal(out.username, "testuser@contoso.example");
    } finally {
      xvfb.kill("SIGKILL");
    }
  });

  it("reports a broker that dies mid-call as a broker error", async () => {
    // A session of its own: the emulator is gone afterwards.
    const launcher = repoPath("scripts", "with-broker.sh");
    const script = [
      `curl -s -X POST "$ENTRA_AUTH_BROKER_EMULATOR_URL/faults"`,
      `-d '{"method":"acquireTokenSilently","kind":"die","count":2}' >/dev/null; exec "$@"`,
    ].join(" ");
    const out = await run("silent-fresh", {
      wrap: [launcher, "--", "bash", "-c", script, "fault"],
    });
    assert.equal(out.username, undefined);
    assert.equal(out.error?.code, "broker_error", JSON.stringify(out.error));
    assert.equal(out.error?.status, 0);
  });

  it("ends by itself after a call to a hung broker was abandoned", {
    timeout: 90_000,
  }, async () => {
    // Its own session (a hung broker), in its own process group: if the app does not end
    // by itself within the limit, the whole group is stopped and the test fails (it never
    // hangs the run).
    const limitMs = 45_000;
    const started = Date.now();
    const exit = await runAbandoned(limitMs);
    const elapsed = Date.now() - started;
    assert.equal(exit.stopped, false, `the app did not end by itself within ${limitMs} ms`);
    const line = exit.stdout.trim().split("\n").filter((l) => l.startsWith("{")).pop();
    assert.ok(line, `no result from the fixture (exit ${exit.code}):\n${exit.stderr}`);
    const out = JSON.parse(line) as Outcome;
    assert.equal(out.error?.code, "broker_timeout", JSON.stringify(out.error));
    assert.ok(elapsed < 30_000, `the process took ${elapsed} ms to end`);
  });

  it("keeps personal data out of the logs unless PII logging is on", async () => {
    const off = await run("logs");
    assert.equal(off.error, undefined, JSON.stringify(off.error));
    assert.ok(off.logs.some((l) => l.message.startsWith("[broker]")), "broker lines forwarded");
    const offText = off.logs.map((l) => l.message).join("\n");
    for (const secret of [off.username, off.homeAccountId, off.localAccountId, off.accessToken]) {
      assert.ok(!offText.includes(String(secret)), `PII off, yet the logs contain ${secret}`);
    }
    assert.ok(off.logs.every((l) => !l.containsPii));

    const on = await run("logs", { args: ["pii"] });
    assert.equal(on.error, undefined, JSON.stringify(on.error));
    const onText = on.logs.map((l) => l.message).join("\n");
    assert.ok(onText.includes(String(on.username)), "PII on: the username appears in the logs");
    assert.ok(on.logs.some((l) => l.containsPii));
  });
});

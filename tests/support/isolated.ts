/**
 * Runs a file of test cases in a fresh process of the runtime under test (Deno, Bun), or in
 * this one under Node (whose runner already gives each test file its own process).
 *
 * Why: Deno and Bun run the whole suite in one process, and MSALRuntime is one per process.
 * A broker call that never gets an answer (tests/broker's "never answers" case) leaves
 * MSALRuntime blocked for the rest of that process, so later in-process broker tests would
 * time out for a reason that is not theirs.
 */

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import process from "node:process";
import { it } from "node:test";
import { fileURLToPath } from "node:url";
import { currentRuntime } from "../../ffi/runtime.ts";
import { repoRoot } from "./paths.ts";

/**
 * Registers the cases of `casesUrl` (a `*.cases.ts` file beside the caller).
 *
 * @param casesUrl the cases file's URL (resolved against the caller)
 * @param options a skip reason, and the time limit of the whole child run
 */
export async function runCasesIsolated(
  casesUrl: URL,
  options: { skip?: string | false; timeoutMs?: number; } = {},
): Promise<void> {
  const runtime = currentRuntime();
  if (runtime === "node") {
    await import(casesUrl.href.replace(/\.ts$/, ".js"));
    return;
  }
  const file = fileURLToPath(casesUrl);
  const timeoutMs = options.timeoutMs ?? 240_000;
  it(`runs ${file.split("/").slice(-2).join("/")} in a fresh ${runtime} process`, {
    skip: options.skip,
    timeout: timeoutMs + 10_000,
  }, async () => {
    const args = runtime === "deno"
      ? ["test", "-A", "--no-check", file]
      : ["test", "--timeout", "60000", file];
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
    delete env.RUST_BACKTRACE;
    const { code, output } = await new Promise<{ code: number | null; output: string; }>(
      (resolve, reject) => {
        const child = spawn(process.execPath, args, {
          cwd: repoRoot,
          env,
          stdio: ["ignore", "pipe", "pipe"],
        });
        let output = "";
        child.stdout.on("data", (d) => (output += d));
        child.stderr.on("data", (d) => (output += d));
        const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
        child.on("error", (err) => {
          clearTimeout(timer);
          reject(err);
        });
        child.on("close", (c) => {
          clearTimeout(timer);
          resolve({ code: c, output });
        });
      },
    );
    // The child's report, so that each case's result shows in this run's output.
    process.stdout.write(output.endsWith("\n") ? output : `${output}\n`);
    assert.equal(code, 0, `the cases in ${file} failed (their report is above)`);
  });
}

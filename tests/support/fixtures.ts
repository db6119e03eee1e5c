/** Runs a script from tests/fixtures/ in a new process of the runtime running the tests. */

import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { currentRuntime } from "../../ffi/runtime.ts";

const here = dirname(fileURLToPath(import.meta.url));
const extension = import.meta.url.endsWith(".ts") ? ".ts" : ".js";

/** What a fixture process did. */
export interface FixtureResult {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs tests/fixtures/<name> with the current runtime and collects its output.
 *
 * @param name the fixture's file name without extension
 * @param args arguments for the fixture
 * @param options extra environment, a time limit (the process is killed after it)
 */
export function runFixture(
  name: string,
  args: string[] = [],
  options: {
    env?: Record<string, string | undefined>;
    timeoutMs?: number;
    /** A command to run the fixture under, e.g. `["scripts/with-broker.sh", "--"]`. */
    wrapper?: string[];
  } = {},
): Promise<FixtureResult> {
  const file = join(here, "..", "fixtures", `${name}${extension}`);
  const runtimeArgs = currentRuntime() === "deno" ? ["run", "-A", "--quiet", file] : [file];
  const env: Record<string, string | undefined> = { ...process.env, ...options.env };
  delete env.RUST_BACKTRACE;
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
  return new Promise((resolve, reject) => {
    const [command, ...prefix] = [...(options.wrapper ?? []), process.execPath];
    const child = spawn(command, [...prefix, ...runtimeArgs, ...args], {
      env: env as Record<string, string>,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 30_000);
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

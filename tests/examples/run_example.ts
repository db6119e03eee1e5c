/**
 * Runs a program of examples/ as a user would, in a new process of the runtime running the
 * tests: Deno and Bun run the TypeScript source (the package name resolves through deno.json
 * and tsconfig.json), Node the compiled copy in npm/examples/ (resolving `entra-auth` to the
 * built package by its own name).
 *
 * @module
 */

import { spawn } from "node:child_process";
import process from "node:process";
import { currentRuntime } from "../../ffi/runtime.ts";
import { repoPath } from "../support/paths.ts";

const compiled = !import.meta.url.endsWith(".ts");

/** What an example process did. */
export interface ExampleRun {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

/**
 * The path of an example, source or compiled.
 *
 * @param name the file name without extension, e.g. `device_code_server`
 * @returns the absolute path
 */
export function examplePath(name: string): string {
  return compiled ? repoPath("npm", "examples", `${name}.js`) : repoPath("examples", `${name}.ts`);
}

/**
 * The command that runs an example program, or an example test file with the runtime's own
 * test runner.
 *
 * @param name the example's name
 * @param test whether it is a test file (`*.test`)
 * @returns the argv
 */
export function exampleCommand(name: string, test = false): string[] {
  const file = examplePath(name);
  switch (currentRuntime()) {
    case "deno":
      return test
        ? [process.execPath, "test", "-A", "--no-check", file]
        : [process.execPath, "run", "-A", "--quiet", file];
    case "bun":
      return test
        ? [process.execPath, "test", "--timeout", "60000", file]
        : [process.execPath, file];
    case "node":
      return test ? [process.execPath, "--test", file] : [process.execPath, file];
  }
}

/**
 * Runs an example to its end (killed after `timeoutMs`).
 *
 * @param argv the command
 * @param options environment additions, a time limit, and a hook on each stdout chunk
 * @returns its exit and output
 */
export function runExample(
  argv: string[],
  options: {
    env?: Record<string, string | undefined>;
    timeoutMs?: number;
    onStdout?: (text: string) => void;
  } = {},
): Promise<ExampleRun> {
  const env: Record<string, string | undefined> = { ...process.env, ...options.env };
  delete env.RUST_BACKTRACE;
  delete env.NODE_TEST_CONTEXT; // a nested `node --test` must report as a top-level run
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
  return new Promise((resolve, reject) => {
    const [command, ...args] = argv;
    const child = spawn(command!, args, {
      cwd: repoPath(),
      env: env as Record<string, string>,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
      options.onStdout?.(stdout);
    });
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 60_000);
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

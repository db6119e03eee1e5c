/** Running the `entra-auth` command line as users do: a new process of the test's runtime. */

import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { currentRuntime } from "../../ffi/runtime.ts";
import { repoPath } from "./paths.ts";

const here = dirname(fileURLToPath(import.meta.url));
const extension = import.meta.url.endsWith(".ts") ? ".ts" : ".js";

/** The command (argv) that runs `entra-auth` with the test's runtime. */
export function cliCommand(): string[] {
  const bin = join(here, "..", "..", "src", "cli", `bin${extension}`);
  return currentRuntime() === "deno"
    ? [process.execPath, "run", "-A", "--quiet", bin]
    : [process.execPath, bin];
}

/** What a CLI run did. */
export interface CliRun {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

/** A private home for one test: cache and config folders nobody else uses. */
export function cliHome(): Record<string, string> {
  const dir = mkdtempSync(join(tmpdir(), "entra-cli-"));
  return {
    XDG_CACHE_HOME: join(dir, "cache"),
    XDG_CONFIG_HOME: join(dir, "config"),
    ENTRA_AUTH_HOME_FOR_TESTS: dir,
  };
}

/**
 * Runs `entra-auth <args>` and collects its output.
 *
 * @param args the arguments
 * @param options environment (undefined removes a variable), stdin text, a time limit
 */
export function runCli(
  args: string[],
  options: {
    env?: Record<string, string | undefined>;
    stdin?: string;
    timeoutMs?: number;
    /** A command to run it under, e.g. `["dbus-run-session", "--"]`. */
    wrapper?: string[];
    /** Another command than `entra-auth` of the test's runtime (e.g. a staged package's). */
    command?: string[];
  } = {},
): Promise<CliRun> {
  const env: Record<string, string | undefined> = { ...process.env, ...options.env };
  delete env.RUST_BACKTRACE;
  delete env.NO_COLOR;
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
  const [command, ...prefix] = [...(options.wrapper ?? []), ...(options.command ?? cliCommand())];
  const child = spawn(command, [...prefix, ...args], {
    env: env as Record<string, string>,
    stdio: ["pipe", "pipe", "pipe"],
  });
  return collect(child, options.stdin, options.timeoutMs ?? 60_000);
}

/** Collects a child's output; kills it after `timeoutMs`. */
export function collect(
  child: ChildProcess,
  stdin: string | undefined,
  timeoutMs: number,
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (d) => (stdout += d));
    child.stderr!.on("data", (d) => (stderr += d));
    child.stdin!.on("error", () => {});
    child.stdin!.end(stdin ?? "");
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
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

/** A helper server started with node (tests/support/bearer_server.mjs). */
export interface BearerServer {
  url: string;
  certFile: string | null;
  /** Requests seen so far. */
  requests: { path: string; authorized: boolean; token: string | null; }[];
  close(): void;
}

/**
 * Starts tests/support/bearer_server.mjs under Node.
 *
 * @param scheme https or http
 * @param audience the token audience it accepts
 * @param mode bearer (Kubernetes) or basic (git)
 */
export async function startBearerServer(
  scheme: "https" | "http",
  audience: string,
  mode: "bearer" | "basic" = "bearer",
): Promise<BearerServer> {
  const path = repoPath("tests", "support", "bearer_server.mjs");
  const child = spawn("node", [path, scheme, audience, mode], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  const requests: BearerServer["requests"] = [];
  let buffer = "";
  const first = await new Promise<{ url: string; certFile: string | null; }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("bearer server did not start")), 20_000);
    child.stdout!.on("data", (d) => {
      buffer += d;
      let nl;
      while ((nl = buffer.indexOf("\n")) >= 0) {
        const line = JSON.parse(buffer.slice(0, nl));
        buffer = buffer.slice(nl + 1);
        if ("url" in line) {
          clearTimeout(timer);
          resolve(line);
        } else requests.push(line);
      }
    });
    child.on("exit", () => reject(new Error("bearer server exited")));
  });
  return { ...first, requests, close: () => child.stdin!.end() };
}

/**
 * Helpers of the persistence tests: temporary folders, the writer processes of the three
 * runtimes (the Node one runs the compiled fixture from npm/tests/fixtures/ when built), an
 * in-memory secret store, and reading a cache file whatever its encryption.
 */

import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import type { SecretStore } from "../../ffi/keyring/failure.ts";
import { withCache } from "../../src/cache/plugin.ts";
import { TokenCache } from "../../src/cache/token_cache.ts";
import type { LogLevel } from "../../src/logger.ts";
import { isEncrypted, keyIdOf, open } from "../../src/persistence/envelope.ts";
import { keyAccount } from "../../src/persistence/key_source.ts";
import { canonicalCachePath } from "../../src/persistence/location.ts";
import {
  createPersistentCache,
  type PersistentCacheOptions,
} from "../../src/persistence/persistent_cache.ts";
import { requestContext, tokenResponse, user } from "../cache/helpers.ts";
import { npmBuildStaleness } from "../support/npm_build.ts";
import { repoPath } from "../support/paths.ts";
import { loudSkip } from "../support/skip.ts";

/** A fresh temporary folder; remove it with the returned function. */
export function tempFolder(): { dir: string; remove: () => void; } {
  const dir = mkdtempSync(join(tmpdir(), "entra-persist-"));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A secret store in memory (keeps the key in this process only). */
export class MemorySecretStore implements SecretStore {
  readonly description = "a test store";
  readonly secrets = new Map<string, string>();
  lookup(account: string): Promise<string | undefined> {
    return Promise.resolve(this.secrets.get(account));
  }
  store(account: string, _label: string, secret: string): Promise<void> {
    this.secrets.set(account, secret);
    return Promise.resolve();
  }
  clear(account: string): Promise<boolean> {
    return Promise.resolve(this.secrets.delete(account));
  }
}

/** A runtime that can run a fixture in a new process. */
export interface FixtureRuntime {
  name: "deno" | "bun" | "node";
  command: string;
  args(fixture: string): string[];
}

/**
 * The runtimes available to run fixtures: Deno and Bun on the TypeScript fixture, Node on
 * the compiled one (only when `npm/` is built; a build older than the sources throws).
 */
export function fixtureRuntimes(): { runtimes: FixtureRuntime[]; missing: string[]; } {
  const runtimes: FixtureRuntime[] = [];
  const missing: string[] = [];
  const deno = repoPath("node_modules", ".bin", "deno");
  const bun = repoPath("node_modules", ".bin", "bun");
  const ts = (f: string) => repoPath("tests", "fixtures", `${f}.ts`);
  const js = (f: string) => repoPath("npm", "tests", "fixtures", `${f}.js`);
  if (existsSync(deno)) {
    runtimes.push({ name: "deno", command: deno, args: (f) => ["run", "-A", "--quiet", ts(f)] });
  } else missing.push("deno (node_modules/.bin/deno)");
  if (existsSync(bun)) runtimes.push({ name: "bun", command: bun, args: (f) => [ts(f)] });
  else missing.push("bun (node_modules/.bin/bun)");
  if (existsSync(js("persistence_writer"))) {
    // Node runs the compiled copy: a build older than the sources would test old code.
    const stale = npmBuildStaleness();
    if (stale) throw new Error(`The Node writer processes cannot run: ${stale}`);
    runtimes.push({ name: "node", command: "node", args: (f) => [js(f)] });
  } else {
    missing.push("node (npm/tests/fixtures/ is not built: run scripts/build_npm.ts)");
  }
  return { runtimes, missing };
}

/** A running fixture whose stdout lines are collected as they come. */
export interface RunningFixture {
  child: ChildProcess;
  runtime: string;
  lines: string[];
  stderr: string;
  exited: Promise<{ code: number | null; signal: string | null; }>;
}

/**
 * Starts a fixture in a runtime.
 *
 * @param runtime the runtime
 * @param fixture the fixture name
 * @param args its arguments
 * @param env extra environment
 */
export function startFixture(
  runtime: FixtureRuntime,
  fixture: string,
  args: string[],
  env: Record<string, string> = {},
): RunningFixture {
  const childEnv: Record<string, string | undefined> = { ...process.env, ...env };
  delete childEnv.RUST_BACKTRACE;
  const child = spawn(runtime.command, [...runtime.args(fixture), ...args], {
    env: childEnv as Record<string, string>,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const running: RunningFixture = {
    child,
    runtime: runtime.name,
    lines: [],
    stderr: "",
    exited: new Promise((resolve) => {
      child.on("close", (code, signal) => resolve({ code, signal }));
    }),
  };
  let partial = "";
  child.stdout!.on("data", (chunk) => {
    partial += chunk;
    const parts = partial.split("\n");
    partial = parts.pop()!;
    running.lines.push(...parts);
  });
  child.stderr!.on("data", (chunk) => (running.stderr += chunk));
  return running;
}

/** Reads a cache file: JSON text, decrypted with `key` when encrypted. */
export async function readCacheFile(
  path: string,
  key?: Uint8Array,
): Promise<Record<string, Record<string, Record<string, unknown>>>> {
  const bytes = new Uint8Array(readFileSync(path));
  const text = isEncrypted(bytes)
    ? await open(bytes, key ?? new Uint8Array(32), await canonicalCachePath(path))
    : new TextDecoder().decode(bytes);
  return JSON.parse(text);
}

/** Base64 to bytes. */
export function fromBase64(text: string): Uint8Array {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

/** Whether the tests run inside scripts/with-broker.sh's session (a private bus with a keyring). */
export function keyringSession(): boolean {
  return !!process.env.DBUS_SESSION_BUS_ADDRESS;
}

/** In CI a missing prerequisite is a failure, elsewhere a skip with a reason. */
export function skipUnless(condition: boolean, reason: string): string | false {
  if (condition) return false;
  if (process.env.CI === "true") throw new Error(`required in CI: ${reason}`);
  return loudSkip(reason);
}

/** The key of an encrypted cache file, looked up in a secret store (by the id in its header). */
export async function fileKey(
  store: SecretStore,
  name: string,
  path: string,
): Promise<Uint8Array | undefined> {
  const bytes = new Uint8Array(readFileSync(path));
  const text = await store.lookup(keyAccount(name, keyIdOf(bytes)));
  return text === undefined ? undefined : fromBase64(text);
}

const realNow = () => Math.floor(Date.now() / 1000);

/** One simulated process: its own in-memory cache and plug-in on a shared file, logs kept. */
export function simulatedProcess(path: string, options: Partial<PersistentCacheOptions> = {}) {
  const logs: string[] = [];
  const plugin = createPersistentCache({
    path,
    encryption: "plaintext",
    logger: {
      level: "verbose",
      loggerCallback: (level: LogLevel, message: string) => logs.push(`${level}: ${message}`),
    },
    ...options,
  });
  const cache = new TokenCache({ now: realNow });
  const save = (n: number, extra: Record<string, unknown> = {}) =>
    withCache(cache, plugin, (c) =>
      c.saveTokenResponse(
        tokenResponse(user(n), { accessToken: `at-${n}`, extra }),
        requestContext({ requestedAt: realNow() }),
      ));
  const accounts = () => withCache(cache, plugin, (c) => c.getAccounts());
  return { plugin, cache, save, accounts, logs };
}

/** A secret store whose calls take a few milliseconds, like a keyring's D-Bus round trip. */
export class SlowSecretStore extends MemorySecretStore {
  override async lookup(account: string): Promise<string | undefined> {
    await new Promise((r) => setTimeout(r, 3 + Math.random() * 5));
    return super.lookup(account);
  }
  override async store(account: string, label: string, secret: string): Promise<void> {
    await new Promise((r) => setTimeout(r, 3 + Math.random() * 5));
    return super.store(account, label, secret);
  }
}

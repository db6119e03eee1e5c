/**
 * A cross-process lock file: created exclusively (`O_EXCL`), holding the owner's pid,
 * hostname, creation time and a random nonce. Waiters back off exponentially (with jitter);
 * a lock whose owner is dead (same host, pid gone) or that is older than a bound is taken
 * over; the wait is bounded and ends in a {@link PersistentCacheError}, never a hang.
 *
 * Taking over is serialized by a second, short-lived file (`<lock>.break`): a breaker
 * re-reads the lock inside it and removes the lock only if it is still the very one judged
 * stale (same nonce), so two waiters that both saw a stale lock cannot remove a fresh one.
 *
 * @module
 */

import { readFileSync } from "node:fs";
import { open, readFile, stat, unlink } from "node:fs/promises";
import { hostname } from "node:os";
import process from "node:process";
import { PersistentCacheError } from "./errors.ts";

/** How long to wait for the lock, and when to consider it abandoned. */
export interface LockOptions {
  /** The longest wait for the lock before `lock_timeout`. Default 10 s. */
  timeoutMs?: number;
  /** A lock older than this is taken over even if its owner seems alive. Default 30 s. */
  staleAfterMs?: number;
}

/** What a lock file says about its owner. */
export interface LockOwner {
  pid: number;
  hostname: string;
  createdAt: number;
  nonce: string;
}

/** A lock file whose owner wrote nothing (died between creating and writing) is stale after this. */
const EMPTY_LOCK_STALE_MS = 2_000;
/** A `.break` file left by a breaker that died is removed after this. */
const BREAKER_STALE_MS = 2_000;
const MAX_DELAY_MS = 64;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function parseOwner(text: string): LockOwner | undefined {
  try {
    const v = JSON.parse(text) as Partial<LockOwner>;
    if (
      typeof v.pid === "number" && typeof v.hostname === "string"
      && typeof v.createdAt === "number" && typeof v.nonce === "string"
    ) return v as LockOwner;
  } catch {
    // not a lock we wrote, or a partial one
  }
  return undefined;
}

/**
 * Whether a process exists on this machine (a zombie counts as dead).
 *
 * @param pid the process id
 * @returns false when it certainly does not run
 * @example
 * ```ts
 * import process from "node:process";
 * import { processAlive } from "./lock.ts";
 * console.log(processAlive(process.pid)); // true
 * ```
 */
export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as { code?: string; }).code === "EPERM";
  }
  return !isZombie(pid);
}

function isZombie(pid: number): boolean {
  // Linux only; elsewhere there is no /proc and the process counts as alive.
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return false;
  }
  const end = text.lastIndexOf(")");
  return text.slice(end + 2, end + 3) === "Z";
}

/**
 * A held lock. Release it with {@link FileLock.release}.
 *
 * @example
 * ```ts
 * import { FileLock } from "./lock.ts";
 * const lock = await FileLock.acquire("/tmp/example.lock", { timeoutMs: 5_000 });
 * await lock.release();
 * ```
 */
export class FileLock {
  /** The lock file. */
  readonly path: string;
  readonly #text: string;
  #released = false;

  private constructor(path: string, text: string) {
    this.path = path;
    this.#text = text;
  }

  /**
   * Takes the lock, waiting for it if another process holds it.
   *
   * @param path the lock file (e.g. `token_cache.json.lock`)
   * @param options wait bound and staleness bound
   * @returns the held lock
   * @throws PersistentCacheError `lock_timeout` after `timeoutMs`; `io_error` when the lock
   *   file cannot be created (e.g. the folder is read-only)
   * @example
   * ```ts
   * import { FileLock } from "./lock.ts";
   * const lock = await FileLock.acquire("/tmp/example.lock");
   * try {
   *   // read, merge, write
   * } finally {
   *   await lock.release();
   * }
   * ```
   */
  static async acquire(path: string, options: LockOptions = {}): Promise<FileLock> {
    const timeoutMs = options.timeoutMs ?? 10_000;
    const staleAfterMs = options.staleAfterMs ?? 30_000;
    const started = Date.now();
    const nonce = crypto.getRandomValues(new Uint32Array(2)).join("-");
    let delay = 1;
    let last: { text: string; owner?: LockOwner; } | undefined;
    for (;;) {
      const text = JSON.stringify(
        {
          pid: process.pid,
          hostname: hostname(),
          createdAt: Date.now(),
          nonce,
        } satisfies LockOwner,
      );
      try {
        const handle = await open(path, "wx", 0o600);
        try {
          await handle.writeFile(text);
        } finally {
          await handle.close();
        }
        return new FileLock(path, text);
      } catch (err) {
        if ((err as { code?: string; }).code !== "EEXIST") {
          throw new PersistentCacheError(
            "io_error",
            `Cannot create the lock file ${path}: ${(err as Error).message}. Check that its `
              + "folder exists and is writable by this user.",
            { path, cause: err },
          );
        }
      }
      const holder = await inspect(path);
      if (holder === undefined) continue; // released meanwhile: try at once
      last = holder;
      if (isStale(holder, staleAfterMs)) {
        if (await breakLock(path, holder.text)) continue;
      }
      const waited = Date.now() - started;
      if (waited >= timeoutMs) throw timeoutError(path, waited, last.owner);
      const jitter = Math.random() * delay;
      await sleep(Math.min(delay + jitter, timeoutMs - waited + 1));
      delay = Math.min(delay * 2, MAX_DELAY_MS);
    }
  }

  /**
   * Releases the lock (idempotent). If another process took the lock over meanwhile (this
   * one held it past `staleAfterMs`), its lock is left alone.
   *
   * @returns whether the lock was still ours
   */
  async release(): Promise<boolean> {
    if (this.#released) return false;
    this.#released = true;
    let current: string | undefined;
    try {
      current = await readFile(this.path, "utf8");
    } catch {
      return false;
    }
    if (current !== this.#text) return false;
    await unlink(this.path).catch(() => {});
    return true;
  }
}

async function inspect(
  path: string,
): Promise<{ text: string; owner?: LockOwner; mtimeMs: number; } | undefined> {
  try {
    const [text, info] = await Promise.all([readFile(path, "utf8"), stat(path)]);
    return { text, owner: parseOwner(text), mtimeMs: info.mtimeMs };
  } catch {
    return undefined;
  }
}

function isStale(
  holder: { text: string; owner?: LockOwner; mtimeMs: number; },
  staleAfterMs: number,
): boolean {
  const now = Date.now();
  const { owner } = holder;
  if (!owner) return now - holder.mtimeMs > EMPTY_LOCK_STALE_MS;
  if (now - owner.createdAt > staleAfterMs) return true;
  return owner.hostname === hostname() && !processAlive(owner.pid);
}

/** Removes the stale lock `staleText` if it is still in place; true if the caller may retry at once. */
async function breakLock(path: string, staleText: string): Promise<boolean> {
  const breaker = `${path}.break`;
  try {
    const handle = await open(breaker, "wx", 0o600);
    await handle.close();
  } catch {
    try {
      if (Date.now() - (await stat(breaker)).mtimeMs > BREAKER_STALE_MS) await unlink(breaker);
    } catch {
      // gone already
    }
    return false;
  }
  try {
    const current = await readFile(path, "utf8").catch(() => undefined);
    if (current === staleText) await unlink(path).catch(() => {});
    return true;
  } finally {
    await unlink(breaker).catch(() => {});
  }
}

function timeoutError(path: string, waited: number, owner?: LockOwner): PersistentCacheError {
  const who = owner
    ? `process ${owner.pid} on ${owner.hostname} (since ${new Date(owner.createdAt).toISOString()})`
    : "another process";
  return new PersistentCacheError(
    "lock_timeout",
    `The token cache is locked by ${who}; gave up after ${waited} ms. Retry later; if no `
      + `such process runs, delete ${path}.`,
    { path },
  );
}

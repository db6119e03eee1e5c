/**
 * A cross-process lock file: created exclusively (`O_EXCL`), holding the owner's pid,
 * hostname, creation time and a random nonce. Waiters back off exponentially (with jitter);
 * a lock whose owner is dead (same host, pid gone) or that is older than a bound is taken
 * over; the wait is bounded and ends in a {@link PersistentCacheError}, never a hang.
 *
 * Taking over is serialized by a second, short-lived file (`<lock>.break`): a breaker
 * re-reads the lock inside it and removes the lock only if it is still the very one judged
 * stale (same nonce), so two waiters that both saw a stale lock cannot remove a fresh one.
 * Before it removes a lock whose owner may still run (stopped, suspended, or too slow), it
 * calls {@link LockOptions.onTakeover}, so that the caller can record that a late write of
 * that owner may come (`takeover.ts`).
 *
 * @module
 */

import { closeSync, fstatSync, openSync, readFileSync } from "node:fs";
import { lstat, open, readFile, stat, unlink } from "node:fs/promises";
import { hostname } from "node:os";
import process from "node:process";
import { abortedError } from "../network/abort.ts";
import { PersistentCacheError } from "./errors.ts";
import { checkOwnership } from "./ownership.ts";

/** How long to wait for the lock, and when to consider it abandoned. */
export interface LockOptions {
  /** The longest wait for the lock before `lock_timeout`. Default 10 s. */
  timeoutMs?: number;
  /** A lock older than this is taken over even if its owner seems alive. Default 30 s. */
  staleAfterMs?: number;
  /** Ends the wait early with an `EntraAuthError` whose code is `aborted`. */
  signal?: AbortSignal;
  /**
   * Called before a stale lock whose owner may still run is removed (not for a dead
   * owner's): that owner may resume and write once more. What it throws fails the
   * acquisition, and the lock is left in place.
   */
  onTakeover?: (owner: LockOwner, text: string) => Promise<void>;
}

/** What a lock file says about its owner. */
export interface LockOwner {
  /** The owner's process id. */
  pid: number;
  /** The owner's host name. */
  hostname: string;
  /** When the lock was taken (ms since the epoch). */
  createdAt: number;
  /** Random: tells this lock apart from every other one. */
  nonce: string;
}

/** A lock file whose owner wrote nothing (died between creating and writing) is stale after this. */
const EMPTY_LOCK_STALE_MS = 2_000;
/** A `.break` file left by a breaker that died is removed after this. */
const BREAKER_STALE_MS = 2_000;
const MAX_DELAY_MS = 64;

const WAIT = "Waiting for the token cache lock";

/** Sleeps `ms`, or rejects with `aborted` as soon as `signal` aborts (no timer left behind). */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (signal?.aborted) return Promise.reject(abortedError(WAIT, signal));
  return new Promise<void>((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortedError(WAIT, signal));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * Reads a lock file's text.
 *
 * @param text what the lock file holds
 * @returns its owner, or undefined for a text this module did not write
 * @example
 * ```ts
 * import { parseOwner } from "./lock.ts";
 * console.log(parseOwner('{"pid":1,"hostname":"h","createdAt":0,"nonce":"1-2"}')?.pid); // 1
 * ```
 */
export function parseOwner(text: string): LockOwner | undefined {
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
  /** This lock's nonce (what a takeover record names it by). */
  readonly nonce: string;
  readonly #text: string;
  readonly #ino: number | bigint;
  #released = false;

  private constructor(path: string, text: string, ino: number | bigint, nonce: string) {
    this.path = path;
    this.#text = text;
    this.#ino = ino;
    this.nonce = nonce;
  }

  /**
   * Takes the lock, waiting for it if another process holds it.
   *
   * @param path the lock file (e.g. `token_cache.json.lock`)
   * @param options wait bound, staleness bound and an AbortSignal
   * @returns the held lock
   * @throws PersistentCacheError `lock_timeout` after `timeoutMs`; `io_error` when the lock
   *   file cannot be created (e.g. the folder is read-only)
   * @throws EntraAuthError `aborted` when `signal` aborts before the lock is taken
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
    const { signal } = options;
    const started = Date.now();
    const nonce = crypto.getRandomValues(new Uint32Array(2)).join("-");
    let delay = 1;
    let last: { text: string; owner?: LockOwner; } | undefined;
    for (;;) {
      if (signal?.aborted) throw abortedError(WAIT, signal);
      const waited = Date.now() - started;
      const text = JSON.stringify(
        {
          pid: process.pid,
          hostname: hostname(),
          createdAt: Date.now(),
          nonce,
        } satisfies LockOwner,
      );
      const created = await create(path, text);
      if (created !== undefined) return new FileLock(path, text, created, nonce);
      const holder = await inspect(path);
      if (holder !== undefined) {
        last = holder;
        if (
          isStale(holder, staleAfterMs)
          && (await breakLock(path, holder.text, holder.owner, options.onTakeover))
        ) continue;
      } else if (waited >= timeoutMs) {
        throw timeoutError(path, waited, last?.owner);
      } else {
        // Released between our create and our read: retry at once, but never spin.
        await sleep(1, signal);
        continue;
      }
      if (waited >= timeoutMs) throw timeoutError(path, waited, last.owner);
      const jitter = Math.random() * delay;
      await sleep(Math.min(delay + jitter, timeoutMs - waited + 1), signal);
      delay = Math.min(delay * 2, MAX_DELAY_MS);
    }
  }

  /**
   * {@link FileLock.held}, synchronously: for the fence, so that nothing runs between the
   * check and the rename it guards.
   *
   * @returns true while the lock is ours
   * @example
   * ```ts
   * import { FileLock } from "./lock.ts";
   * const lock = await FileLock.acquire("/tmp/example.lock");
   * console.log(lock.heldSync()); // true
   * await lock.release();
   * ```
   */
  heldSync(): boolean {
    if (this.#released) return false;
    let fd: number | undefined;
    try {
      fd = openSync(this.path, "r");
      if (fstatSync(fd).ino !== this.#ino) return false;
      return readFileSync(fd, "utf8") === this.#text;
    } catch {
      return false;
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }

  /**
   * Whether this process still holds the lock: the lock file is the very one it created
   * (same inode) with the content it wrote. False once another process took it over (this
   * one held it past `staleAfterMs`, e.g. stopped or suspended). Call it just before a
   * write that must not land after a takeover (the fence).
   *
   * @returns true while the lock is ours
   * @example
   * ```ts
   * import { FileLock } from "./lock.ts";
   * const lock = await FileLock.acquire("/tmp/example.lock");
   * console.log(await lock.held()); // true
   * await lock.release();
   * ```
   */
  async held(): Promise<boolean> {
    if (this.#released) return false;
    try {
      const handle = await open(this.path, "r");
      try {
        const info = await handle.stat();
        if (info.ino !== this.#ino) return false;
        return (await handle.readFile("utf8")) === this.#text;
      } finally {
        await handle.close();
      }
    } catch {
      return false;
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

/**
 * Creates the lock file exclusively and writes `text` into it.
 *
 * @returns the new file's inode, or undefined when the lock exists
 * @throws PersistentCacheError `io_error` naming the path when it cannot be created or
 *   written (the partial file is removed: a full disk leaves no empty lock behind), or when
 *   the path is not a lock file at all (a folder, a symlink); `insecure_file` when the
 *   existing lock belongs to another user or others may write it
 */
async function create(path: string, text: string): Promise<number | bigint | undefined> {
  let handle;
  try {
    handle = await open(path, "wx", 0o600);
  } catch (err) {
    if ((err as { code?: string; }).code !== "EEXIST") {
      throw ioError(path, "Cannot create the lock file", err);
    }
    await checkExisting(path);
    return undefined;
  }
  try {
    await handle.writeFile(text);
    const ino = (await handle.stat()).ino;
    await handle.close();
    return ino;
  } catch (err) {
    await handle.close().catch(() => {});
    await unlink(path).catch(() => {});
    throw ioError(path, "Cannot write the lock file", err);
  }
}

/** Refuses a lock path that no release or takeover could ever clear, or that is not safe. */
async function checkExisting(path: string): Promise<void> {
  let info;
  try {
    info = await lstat(path);
  } catch {
    return; // released meanwhile
  }
  if (!info.isFile()) {
    const what = info.isDirectory()
      ? "a folder"
      : info.isSymbolicLink()
      ? "a symbolic link"
      : "not a file";
    throw new PersistentCacheError(
      "io_error",
      `The lock file ${path} is ${what}, not a lock this library created; nothing can take it `
        + "over. Remove it (if nothing else uses it), or choose another cache path.",
      { path },
    );
  }
  checkOwnership(path, info, "lock file");
}

function ioError(path: string, what: string, err: unknown): PersistentCacheError {
  const code = (err as { code?: string; }).code;
  return new PersistentCacheError(
    "io_error",
    `${what} ${path}${code ? ` (${code})` : ""}. Check that its folder exists, is writable by `
      + "this user and that the disk is not full.",
    { path },
  );
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

/** Whether the owner of a stale lock may still run (and so write late): not when it is dead. */
function mayResume(owner: LockOwner): boolean {
  return owner.hostname !== hostname() || processAlive(owner.pid);
}

/** Removes the stale lock `staleText` if it is still in place; true if the caller may retry at once. */
async function breakLock(
  path: string,
  staleText: string,
  owner: LockOwner | undefined,
  onTakeover: LockOptions["onTakeover"],
): Promise<boolean> {
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
    if (current === staleText) {
      // (A lock with no owner text was never returned by acquire(): nobody can write late.)
      if (owner && onTakeover && mayResume(owner)) await onTakeover(owner, staleText);
      try {
        await unlink(path);
      } catch (err) {
        const code = (err as { code?: string; }).code;
        if (code !== "ENOENT") throw ioError(path, "Cannot remove the stale lock file", err);
      }
    }
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

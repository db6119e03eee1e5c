/**
 * The cache file's I/O: owner-only permissions, atomic replacement (temporary file in the
 * same folder, write, fsync, rename, fsync the folder), and keeping a bad file aside.
 *
 * @module
 */

import { renameSync } from "node:fs";
import { chmod, link, mkdir, open, readdir, rename, stat, unlink } from "node:fs/promises";
import { platform } from "node:os";
import { basename, dirname, join } from "node:path";
import process from "node:process";
import { checkOwnership } from "./ownership.ts";

/** What was read from the cache file. */
export interface FileSnapshot {
  /** The file's bytes. */
  bytes: Uint8Array;
  /** Identifies this version of the file (inode, size, modification time). */
  version: string;
}

function versionOf(s: { ino: number | bigint; size: number | bigint; mtimeMs: number; }): string {
  return `${s.ino}:${s.size}:${s.mtimeMs}`;
}

function isNotFound(err: unknown): boolean {
  return (err as { code?: string; })?.code === "ENOENT";
}

/**
 * The version of the file without reading it (to skip re-reading an unchanged file).
 *
 * @param path the file
 * @returns its version, or undefined when it does not exist
 * @example
 * ```ts
 * import { fileVersion } from "./atomic_file.ts";
 * console.log(await fileVersion("/tmp/cache.json")); // e.g. "1234:512:1700000000000"
 * ```
 */
export async function fileVersion(path: string): Promise<string | undefined> {
  try {
    return versionOf(await stat(path));
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/**
 * Reads the file, or returns undefined when it does not exist.
 *
 * @param path the file
 * @returns its bytes and version
 * @throws the I/O error for anything but a missing file; PersistentCacheError
 *   `insecure_file` when the file belongs to another user or others may write it
 * @example
 * ```ts
 * import { readSnapshot } from "./atomic_file.ts";
 * const snapshot = await readSnapshot("/tmp/cache.json");
 * console.log(snapshot?.bytes.length);
 * ```
 */
export async function readSnapshot(path: string): Promise<FileSnapshot | undefined> {
  let handle;
  try {
    handle = await open(path, "r");
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
  try {
    const info = await handle.stat();
    checkOwnership(path, info, "token cache");
    const bytes = new Uint8Array(await handle.readFile());
    return { bytes, version: versionOf(info) };
  } finally {
    await handle.close();
  }
}

/**
 * The first bytes of the file (its header), or undefined when it does not exist.
 *
 * @param path the file
 * @param length how many bytes at most
 * @returns the bytes read
 * @example
 * ```ts
 * import { readHeader } from "./atomic_file.ts";
 * console.log(await readHeader("/tmp/cache.json", 24));
 * ```
 */
export async function readHeader(path: string, length: number): Promise<Uint8Array | undefined> {
  let handle;
  try {
    handle = await open(path, "r");
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
  try {
    const buffer = new Uint8Array(length);
    const { bytesRead } = await handle.read(buffer, 0, length, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/**
 * Creates the folder of `path` (and its parents) with owner-only permissions when missing.
 * Existing folders are left as they are.
 *
 * @param path a file path
 * @example
 * ```ts
 * import { ensureFolder } from "./atomic_file.ts";
 * await ensureFolder("/tmp/entra-auth-example/cache.json");
 * ```
 */
export async function ensureFolder(path: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
}

const TMP_MARK = ".tmp-";

/** How {@link writeAtomic} guards its rename. */
export interface WriteFence {
  /**
   * Called just before the rename, synchronously with it (no other work runs in between, so
   * the window in which a stalled process could still be overtaken is a few system calls),
   * and again just after it: what it throws before cancels the write (the temporary file is
   * removed); what it throws after is rethrown with the new file in place (the caller then
   * knows its rename may have replaced a commit it never saw, e.g. when the lock was taken
   * over meanwhile, and merges again).
   */
  check: () => void;
  /**
   * Also keep the new file as this path (a hard link), replaced only when the check after
   * the rename passed: the last commit known good (see `takeover.ts`).
   */
  guard?: string;
}

/**
 * Replaces the file atomically: a crash at any instant leaves the old or the new content,
 * never a mix. The new file is readable and writable by its owner only (0600).
 *
 * @param path the file
 * @param bytes the new content
 * @param fence checks around the rename (e.g. that the lock is still ours), and a guard
 * @returns the version of the file written (taken from the file itself, not from the path,
 *   which another process may have replaced by the time this returns)
 * @throws the I/O error, or the fence's (before the rename: nothing written; after it: the
 *   new file is in place, its guard not)
 * @example
 * ```ts
 * import { writeAtomic } from "./atomic_file.ts";
 * await writeAtomic("/tmp/entra-auth-example/cache.json", new TextEncoder().encode("{}"));
 * ```
 */
export async function writeAtomic(
  path: string,
  bytes: Uint8Array,
  fence?: WriteFence,
): Promise<string> {
  await ensureFolder(path);
  const random = crypto.getRandomValues(new Uint32Array(1))[0].toString(36);
  const tmp = `${path}${TMP_MARK}${process.pid}-${random}`;
  // The guard's new version is staged beside it (a leftover is removed like any other).
  const staged = fence?.guard && `${tmp}-guard`;
  const handle = await open(tmp, "wx", 0o600);
  // The version of the file written, taken from the file itself (a rename keeps its inode,
  // size and modification time): the path may name another file by the time this one is in
  // place (this process stopped past the stale limit, others committed meanwhile), and taking
  // theirs for ours would have the next merge treat their entries as removals.
  let version: string;
  try {
    try {
      await handle.writeFile(bytes);
      await handle.sync();
      version = versionOf(await handle.stat());
    } finally {
      await handle.close();
    }
    if (staged) await link(tmp, staged);
    fence?.check();
    renameSync(tmp, path);
    fence?.check();
    if (staged) renameSync(staged, fence!.guard!);
  } catch (err) {
    await unlink(tmp).catch(() => {});
    if (staged) await unlink(staged).catch(() => {});
    throw err;
  }
  await syncFolder(dirname(path));
  return version;
}

/** Flushes a folder's entries (the rename) to disk; Windows has no such call. */
async function syncFolder(folder: string): Promise<void> {
  if (platform() === "win32") return;
  const handle = await open(folder, "r");
  try {
    await handle.sync();
  } catch {
    // some file systems refuse fsync on folders: the rename is still atomic
  } finally {
    await handle.close();
  }
}

/**
 * Removes temporary files that processes killed mid-write left next to the cache file. Call
 * it while holding the lock. Only files older than `minAgeMs` are removed.
 *
 * @param path the cache file
 * @param minAgeMs how old a leftover must be
 * @returns how many were removed
 * @example
 * ```ts
 * import { removeLeftovers } from "./atomic_file.ts";
 * console.log(await removeLeftovers("/tmp/entra-auth-example/cache.json"));
 * ```
 */
export async function removeLeftovers(path: string, minAgeMs = 60_000): Promise<number> {
  const prefix = basename(path) + TMP_MARK;
  let removed = 0;
  let names: string[];
  try {
    names = await readdir(dirname(path));
  } catch {
    return 0;
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const file = join(dirname(path), name);
    try {
      if (Date.now() - (await stat(file)).mtimeMs < minAgeMs) continue;
      await unlink(file);
      removed++;
    } catch {
      // gone already
    }
  }
  return removed;
}

/** How many `.corrupt-*` backups of one cache are kept (the oldest are removed). */
export const MAX_BACKUPS = 3;
const BACKUP_MARK = ".corrupt-";

/**
 * The `.corrupt-*` backups of a cache file, oldest first.
 *
 * @param path the cache file
 * @returns the backups' paths
 * @example
 * ```ts
 * import { listBackups } from "./atomic_file.ts";
 * console.log(await listBackups("/tmp/entra-auth-example/cache.json")); // []
 * ```
 */
export async function listBackups(path: string): Promise<string[]> {
  const prefix = basename(path) + BACKUP_MARK;
  let names: string[];
  try {
    names = await readdir(dirname(path));
  } catch {
    return [];
  }
  return names.filter((n) => n.startsWith(prefix)).sort().map((n) => join(dirname(path), n));
}

/**
 * Removes every `.corrupt-*` backup of a cache file (they hold tokens in clear when the
 * cache was plaintext).
 *
 * @param path the cache file
 * @returns how many were removed
 * @example
 * ```ts
 * import { removeBackups } from "./atomic_file.ts";
 * console.log(await removeBackups("/tmp/entra-auth-example/cache.json")); // 0
 * ```
 */
export async function removeBackups(path: string): Promise<number> {
  let removed = 0;
  for (const file of await listBackups(path)) {
    if (await unlink(file).then(() => true, () => false)) removed++;
  }
  return removed;
}

/**
 * Moves an unreadable cache file aside as `<path>.corrupt-<timestamp>` so that nothing is
 * lost, and a new cache can start. The backup is made owner-only (0600); at most
 * {@link MAX_BACKUPS} are kept, the oldest removed.
 *
 * @param path the file
 * @returns the backup's path
 * @example
 * ```ts
 * import { keepAside } from "./atomic_file.ts";
 * console.log(await keepAside("/tmp/entra-auth-example/cache.json")); // ….corrupt-2024-…
 * ```
 */
export async function keepAside(path: string): Promise<string> {
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  let backup = `${path}${BACKUP_MARK}${stamp}`;
  for (let n = 1;; n++) {
    try {
      await stat(backup);
      backup = `${path}${BACKUP_MARK}${stamp}-${n}`;
    } catch {
      break;
    }
  }
  await rename(path, backup);
  if (platform() !== "win32") await chmod(backup, 0o600).catch(() => {});
  const all = await listBackups(path);
  for (const old of all.slice(0, Math.max(0, all.length - MAX_BACKUPS))) {
    if (old !== backup) await unlink(old).catch(() => {});
  }
  return backup;
}

/**
 * The process services of {@link ProcessHost} through Bun's own API and the `process` global:
 * no `node:` module (Bun takes 2.5–4 ms to load `node:fs`, a third of what a token from the
 * cache costs it otherwise).
 *
 * Bun reads a file by path (`Bun.file`), not through a descriptor of its own, so the bytes
 * and the owner the cache's trust check looks at could belong to two files if the path were
 * swapped in between. The file is therefore stat-ed before and after it is read, and read
 * only when both name the same file, unchanged: same device and inode, size, modification and
 * change times. Replacing the file (a rename over it, an unlink) gives another inode; writing
 * it in place changes its times; moving the original away and back changes its change time.
 * Otherwise the read fails and the caller (the token fast path) gives way to the full command,
 * which reads through one descriptor.
 *
 * @module
 */

import type { HostFile, ProcessHost } from "../host.ts";
import { fromProcessGlobal } from "./process_global.ts";

/** What a `stat` of a Bun file gives (the fields used here). */
export interface BunFileStat {
  dev: number;
  ino: number;
  mode: number;
  uid: number;
  size: number;
  mtimeMs: number;
  ctimeMs: number;
}

/** The part of Bun's API used here (typed locally: the project is checked without Bun's lib). */
export interface BunApi {
  file(path: string): { stat(): Promise<BunFileStat>; bytes(): Promise<Uint8Array>; };
  write(destination: unknown, data: Uint8Array): Promise<number>;
  stdout: unknown;
  stderr: unknown;
}

/** Thrown when a file changed (or was replaced) while it was read. */
export class FileChangedWhileRead extends Error {
  override name = "FileChangedWhileRead";
}

function sameFile(a: BunFileStat, b: BunFileStat): boolean {
  return a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs
    && a.ctimeMs === b.ctimeMs;
}

/**
 * Bun's process services.
 *
 * @param bun Bun's API (a stand-in in tests)
 * @returns the host
 * @example
 * ```ts ignore
 * import { bunHost } from "./bun.ts";
 * console.log(bunHost().platform);
 * ```
 */
export function bunHost(
  bun: BunApi = (globalThis as unknown as { Bun: BunApi; }).Bun,
): ProcessHost {
  return {
    ...fromProcessGlobal(),
    async readFile(path: string): Promise<HostFile | undefined> {
      const file = bun.file(path);
      let before: BunFileStat;
      try {
        before = await file.stat();
      } catch (err) {
        if ((err as { code?: string; }).code === "ENOENT") return undefined;
        throw err;
      }
      const bytes = await file.bytes();
      const after = await file.stat();
      if (!sameFile(before, after) || bytes.length !== after.size) {
        throw new FileChangedWhileRead(`${path} changed while it was read`);
      }
      return { bytes, uid: after.uid, mode: after.mode };
    },
    async write(fd: 1 | 2, bytes: Uint8Array): Promise<void> {
      let offset = 0;
      const to = fd === 1 ? bun.stdout : bun.stderr;
      while (offset < bytes.length) offset += await bun.write(to, bytes.subarray(offset));
    },
  };
}

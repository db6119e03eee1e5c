/**
 * The process services of {@link ProcessHost} through `node:fs` and the `process` global
 * (Node, which has loaded `node:fs` before any program runs).
 *
 * `node:fs` is imported when the host is made, not by this module: a bundler would otherwise
 * hoist the import to its bundle's top, where Deno and Bun would load it too (Deno takes
 * 15–20 ms for its first `node:` module, Bun 2.5–4 ms for `node:fs`).
 *
 * @module
 */

import type { HostFile, ProcessHost } from "../host.ts";
import { fromProcessGlobal } from "./process_global.ts";

/**
 * Node's (and Bun's) process services.
 *
 * @returns the host
 * @example
 * ```ts ignore
 * import { nodeHost } from "./node.ts";
 * console.log((await nodeHost()).platform);
 * ```
 */
export async function nodeHost(): Promise<ProcessHost> {
  const { closeSync, fstatSync, openSync, readFileSync, writeSync } = await import("node:fs");
  return {
    ...fromProcessGlobal(),
    // deno-lint-ignore require-await
    async readFile(path: string): Promise<HostFile | undefined> {
      let fd: number;
      try {
        fd = openSync(path, "r");
      } catch (err) {
        if ((err as { code?: string; }).code === "ENOENT") return undefined;
        throw err;
      }
      try {
        const info = fstatSync(fd);
        const bytes = new Uint8Array(readFileSync(fd));
        return { bytes, uid: info.uid, mode: info.mode };
      } finally {
        closeSync(fd);
      }
    },
    // deno-lint-ignore require-await
    async write(fd: 1 | 2, bytes: Uint8Array): Promise<void> {
      let offset = 0;
      while (offset < bytes.length) {
        try {
          offset += writeSync(fd, bytes, offset);
        } catch (err) {
          // A non-blocking pipe that is full: try again.
          if ((err as { code?: string; }).code !== "EAGAIN") throw err;
        }
      }
    },
  };
}

/**
 * The few process services the command line's start-up needs (arguments, environment, one
 * file read, a write to stdout or stderr, exit), without the runtime's Node compatibility
 * layer where loading it is what costs: in Deno, the first `node:` module a program imports
 * adds about 15–20 ms to its start, more than everything else a token from the cache takes.
 * Deno and Bun are served by their own APIs (`ffi/host/deno.ts`, `ffi/host/bun.ts`: Bun takes
 * 2.5–4 ms to load `node:fs`), Node by `node:fs`, which it has loaded already (`ffi/host/node.ts`).
 *
 * Nothing else should use this: the library proper keeps to `node:` modules and Web APIs.
 *
 * @module
 */

import { bunHost } from "./host/bun.ts";
import { denoHost } from "./host/deno.ts";
import { nodeHost } from "./host/node.ts";
import { currentRuntime } from "./runtime.ts";

/** A file read with the parts of its `stat` that the cache's trust checks look at. */
export interface HostFile {
  /** The file's bytes. */
  bytes: Uint8Array;
  /** Its owner (null where the OS has none, Windows). */
  uid: number | null;
  /** Its mode bits (null on Windows). */
  mode: number | null;
}

/** The process as the command line's start-up sees it. */
export interface ProcessHost {
  /** The arguments after the script. */
  readonly args: string[];
  /** The environment. */
  readonly env: Record<string, string | undefined>;
  /** `process.platform`'s value: `linux`, `darwin`, `win32`, … */
  readonly platform: string;
  /** The home folder as `os.homedir()` gives it, or undefined when that cannot be told here. */
  homedir(): string | undefined;
  /** This process's user id (undefined on Windows). */
  uid(): number | undefined;
  /**
   * Reads a file with its owner and mode, both of the same file (through one open descriptor;
   * in Bun, checked before and after the read: `host/bun.ts`).
   *
   * @returns undefined when it does not exist
   * @throws the runtime's error for anything else, or when the file changed while it was read
   */
  readFile(path: string): Promise<HostFile | undefined>;
  /** Writes all of `bytes` to descriptor 1 or 2. */
  write(fd: 1 | 2, bytes: Uint8Array): Promise<void>;
  /** Ends the process. */
  exit(code: number): never;
}

/**
 * The running runtime's process services.
 *
 * @returns the host
 * @example
 * ```ts ignore
 * import { processHost } from "./host.ts";
 * const host = await processHost();
 * await host.write(2, new TextEncoder().encode(`${host.args.length} arguments\n`));
 * ```
 */
export async function processHost(): Promise<ProcessHost> {
  // All three are imported up front: none imports anything (a dynamic import costs Deno a
  // module graph build, about 2 ms); Node's loads node:fs when it is made.
  const runtime = currentRuntime();
  return runtime === "deno" ? denoHost() : runtime === "bun" ? bunHost() : await nodeHost();
}

/**
 * The few process services the command line's start-up needs (arguments, environment, one
 * file read, a write to stdout or stderr, exit), without the runtime's Node compatibility
 * layer where loading it is what costs: in Deno, the first `node:` module a program imports
 * adds about 15–20 ms to its start, more than everything else a token from the cache takes.
 * Deno is served by its own API (`ffi/host/deno.ts`), Bun and Node by `node:fs` and
 * `node:process`, which they load cheaply (`ffi/host/node.ts`).
 *
 * Nothing else should use this: the library proper keeps to `node:` modules and Web APIs.
 *
 * @module
 */

import { denoHost } from "./host/deno.ts";
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
   * Reads a file through one open descriptor (bytes and owner of the same file).
   *
   * @returns undefined when it does not exist
   * @throws the runtime's error for anything else
   */
  readFile(path: string): HostFile | undefined;
  /** Writes all of `bytes` to descriptor 1 or 2. */
  write(fd: 1 | 2, bytes: Uint8Array): void;
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
 * host.write(2, new TextEncoder().encode(`${host.args.length} arguments\n`));
 * ```
 */
export async function processHost(): Promise<ProcessHost> {
  // Deno's is imported up front (it holds no import of its own; a dynamic import costs Deno a
  // module graph build, about 2 ms); Node's only where it runs, for its node: imports.
  return currentRuntime() === "deno" ? denoHost() : (await import("./host/node.ts")).nodeHost();
}

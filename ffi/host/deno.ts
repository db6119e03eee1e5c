/**
 * The process services of {@link ProcessHost} through Deno's own API (no `node:` module).
 *
 * @module
 */

import type { HostFile, ProcessHost } from "../host.ts";

/** The part of Deno's API used here (typed locally: the project is checked without Deno's lib). */
interface DenoApi {
  args: string[];
  build: { os: string; };
  env: { toObject(): Record<string, string>; };
  uid(): number | null;
  openSync(path: string): {
    statSync(): { uid: number | null; mode: number | null; size: number; };
    readSync(buffer: Uint8Array): number | null;
    close(): void;
  };
  stdout: { writeSync(bytes: Uint8Array): number; };
  stderr: { writeSync(bytes: Uint8Array): number; };
  exit(code: number): never;
  errors: { NotFound: new(...args: never[]) => Error; };
}

/**
 * Deno's process services.
 *
 * @returns the host
 * @example
 * ```ts ignore
 * import { denoHost } from "./deno.ts";
 * console.log(denoHost().platform);
 * ```
 */
export function denoHost(): ProcessHost {
  const deno = (globalThis as unknown as { Deno: DenoApi; }).Deno;
  const env: Record<string, string | undefined> = deno.env.toObject();
  const os = deno.build.os;
  return {
    args: deno.args,
    env,
    platform: os === "windows" ? "win32" : os,
    // os.homedir() is $HOME on POSIX when it is set; otherwise it asks the password database,
    // which only Node's layer does: undefined then (the caller takes the ordinary path).
    homedir: () => (os !== "windows" && env.HOME ? env.HOME : undefined),
    uid: () => deno.uid() ?? undefined,
    // deno-lint-ignore require-await
    async readFile(path: string): Promise<HostFile | undefined> {
      let file;
      try {
        file = deno.openSync(path);
      } catch (err) {
        if (err instanceof deno.errors.NotFound) return undefined;
        throw err;
      }
      try {
        const info = file.statSync();
        let bytes = new Uint8Array(info.size + 1);
        let length = 0;
        for (;;) {
          if (length === bytes.length) {
            const bigger = new Uint8Array(bytes.length * 2);
            bigger.set(bytes);
            bytes = bigger;
          }
          const n = file.readSync(bytes.subarray(length));
          if (n === null) break;
          length += n;
        }
        return { bytes: bytes.subarray(0, length), uid: info.uid, mode: info.mode };
      } finally {
        file.close();
      }
    },
    // deno-lint-ignore require-await
    async write(fd: 1 | 2, bytes: Uint8Array): Promise<void> {
      const stream = fd === 1 ? deno.stdout : deno.stderr;
      let offset = 0;
      while (offset < bytes.length) offset += stream.writeSync(bytes.subarray(offset));
    },
    exit: (code: number) => deno.exit(code),
  };
}

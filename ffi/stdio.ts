/**
 * Keeping a process's standard output for its own result. Native libraries (MSALRuntime's
 * helpers on WSL, per MSAL.NET issue 5979 and MSAL Python issue 854) may print to file
 * descriptor 1, which corrupts a protocol spoken on stdout (kubectl's ExecCredential, git's
 * credential helper). {@link reserveStdout} duplicates descriptor 1 for the caller and points
 * descriptor 1 itself at stderr, so anything else written to "stdout" lands on stderr.
 *
 * @module
 */

import { platform } from "node:os";
import { openLibrary } from "./library.ts";

const libcSymbols = {
  /** int dup(int oldfd) */
  dup: { parameters: ["i32"], result: "i32" },
  /** int dup2(int oldfd, int newfd) */
  dup2: { parameters: ["i32", "i32"], result: "i32" },
  /** ssize_t write(int fd, const void* buf, size_t count) */
  write: { parameters: ["i32", "buffer", "u64"], result: "i64" },
} as const;

/** Writes bytes to the reserved standard output. */
export type StdoutWriter = (bytes: Uint8Array) => void;

let reserved: Promise<StdoutWriter | undefined> | undefined;

function libcName(): string | undefined {
  switch (platform()) {
    case "linux":
      return "libc.so.6";
    case "darwin":
      return "/usr/lib/libSystem.B.dylib";
    default:
      return undefined;
  }
}

/**
 * Reserves the real standard output: keeps a new descriptor that refers to it, makes
 * descriptor 1 a copy of descriptor 2, and returns a writer to the kept descriptor (through
 * libc's `write`: Deno's `node:fs` knows only descriptors it opened itself). Idempotent;
 * `undefined` where it cannot be done (no libc by that name, Windows), in which case stdout
 * is left as it is.
 *
 * @returns a writer of the real stdout, or `undefined`
 * @example
 * ```ts ignore
 * import { reserveStdout } from "./stdio.ts";
 * const write = await reserveStdout();
 * write?.(new TextEncoder().encode("the result\n")); // native output now goes to stderr
 * ```
 */
export function reserveStdout(): Promise<StdoutWriter | undefined> {
  reserved ??= (async () => {
    const name = libcName();
    if (!name) return undefined;
    try {
      const libc = await openLibrary(name, libcSymbols);
      const fd = libc.symbols.dup(1);
      if (fd < 0) return undefined;
      if (libc.symbols.dup2(2, 1) < 0) return undefined;
      const { write } = libc.symbols;
      return (bytes: Uint8Array) => {
        let offset = 0;
        while (offset < bytes.length) {
          const chunk = bytes.subarray(offset);
          const n = Number(write(fd, chunk, BigInt(chunk.length)));
          if (n <= 0) throw new Error("cannot write to standard output");
          offset += n;
        }
      };
    } catch {
      return undefined;
    }
  })();
  return reserved;
}

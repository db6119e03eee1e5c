/**
 * Reading a NUL-terminated UTF-16 string (`const wchar_t*` on Windows, MSALRuntime's `os_char*`)
 * from native memory whose length is not known, without reading past the page it ends in.
 *
 * @module
 */

import type { FfiBackend } from "./types.ts";

/** Memory pages are at least this large: a read that stays inside one cannot fault. */
const PAGE = 4096;
/** Longest string read (in UTF-16 units); a longer one is cut there. */
const MAX_UNITS = 1 << 20;

/**
 * Decodes the NUL-terminated UTF-16LE string at `address`, reading one memory page at a time
 * (the string's terminator is in the last page read, so no unmapped page is touched).
 *
 * @param backend the runtime's FFI backend (its `readBytes`)
 * @param address where the string starts; `0n` gives `null`
 * @returns the decoded string
 * @example
 * ```ts
 * import { loadBackend } from "./runtime.ts";
 * import { readWideString } from "./wide_string.ts";
 * const text = readWideString(await loadBackend(), 0n); // null
 * ```
 */
export function readWideString(
  backend: Pick<FfiBackend, "readBytes">,
  address: bigint,
): string | null {
  if (address === 0n) return null;
  const chunks: Uint8Array[] = [];
  let units = 0;
  let at = address;
  let odd: number | undefined;
  while (units < MAX_UNITS) {
    const length = Number(BigInt(PAGE) - (at % BigInt(PAGE)));
    const bytes = backend.readBytes(at, length);
    let start = 0;
    if (odd !== undefined) {
      // A code unit split across two pages.
      if (odd === 0 && bytes[0] === 0) return finish(chunks);
      chunks.push(new Uint8Array([odd, bytes[0]]));
      units++;
      odd = undefined;
      start = 1;
    }
    // Units are aligned to the string's start, not to the page.
    let i = start;
    for (; i + 1 < bytes.length; i += 2) {
      if (bytes[i] === 0 && bytes[i + 1] === 0) {
        chunks.push(bytes.subarray(start, i));
        return finish(chunks);
      }
    }
    chunks.push(bytes.subarray(start, i));
    units += (i - start) / 2;
    if (i < bytes.length) odd = bytes[i];
    at += BigInt(length);
  }
  return finish(chunks);
}

function finish(chunks: Uint8Array[]): string {
  const total = chunks.reduce((n, c) => n + c.length, 0);
  const all = new Uint8Array(total);
  let o = 0;
  for (const c of chunks) {
    all.set(c, o);
    o += c.length;
  }
  return new TextDecoder("utf-16le").decode(all);
}

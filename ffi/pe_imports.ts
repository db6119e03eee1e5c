/**
 * Which DLL a Windows library cannot find. Windows' loader reports a missing dependency only as
 * error 126 ("The specified module could not be found"), the same as a missing library, and
 * never names the file; the DLLs a library imports are listed in its PE import table, so the
 * first one the loader's search path does not hold is the one to install.
 *
 * @module
 */

import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import process from "node:process";

/**
 * Lists the DLL names in a PE file's import table (not the delay-loaded ones).
 *
 * @param bytes the whole DLL or EXE file
 * @returns the imported DLL names, in table order; empty when `bytes` is not a PE file
 * @example
 * ```ts
 * import { readFileSync } from "node:fs";
 * import { peImports } from "./pe_imports.ts";
 * console.log(peImports(readFileSync("C:\\app\\msalruntime.dll"))); // ["KERNEL32.dll", …]
 * ```
 */
export function peImports(bytes: Uint8Array): string[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u16 = (o: number) => view.getUint16(o, true);
  const u32 = (o: number) => view.getUint32(o, true);
  try {
    if (u16(0) !== 0x5a4d) return []; // "MZ"
    const pe = u32(0x3c);
    if (u32(pe) !== 0x4550) return []; // "PE\0\0"
    const sections = u16(pe + 6);
    const optional = pe + 24;
    const magic = u16(optional);
    const directories = optional + (magic === 0x20b ? 112 : magic === 0x10b ? 96 : NaN);
    if (Number.isNaN(directories)) return [];
    const importRva = u32(directories + 8);
    if (importRva === 0) return [];
    const table = optional + u16(pe + 20);
    const offsetOf = (rva: number): number => {
      for (let i = 0; i < sections; i++) {
        const s = table + i * 40;
        const va = u32(s + 12);
        const size = Math.max(u32(s + 8), u32(s + 16));
        if (rva >= va && rva < va + size) return rva - va + u32(s + 20);
      }
      throw new RangeError("RVA outside every section");
    };
    const names: string[] = [];
    for (let d = offsetOf(importRva);; d += 20) {
      const nameRva = u32(d + 12);
      if (nameRva === 0) break;
      const start = offsetOf(nameRva);
      let end = start;
      while (end < bytes.length && bytes[end] !== 0) end++;
      names.push(new TextDecoder("latin1").decode(bytes.subarray(start, end)));
    }
    return names;
  } catch {
    return []; // truncated or malformed: nothing can be said
  }
}

/**
 * The first DLL imported by `library` that is in none of the folders Windows' loader searches
 * (the library's folder, System32, the Windows folder, the current folder, `PATH`). API sets
 * (`api-ms-win-*`, `ext-ms-*`) are resolved by the loader itself and never reported.
 *
 * @param library the DLL that failed to load with error 126
 * @param env the environment (`SystemRoot`, `PATH`)
 * @returns the missing DLL's name, or `undefined` when every direct import is present (the
 *   missing one is then deeper in the chain)
 * @example
 * ```ts
 * import { missingWindowsDependency } from "./pe_imports.ts";
 * console.log(missingWindowsDependency("C:\\app\\ftneeds.dll")); // "ftdep.dll"
 * ```
 */
export function missingWindowsDependency(
  library: string,
  env: Record<string, string | undefined> = process.env,
): string | undefined {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(library);
  } catch {
    return undefined;
  }
  const windir = env.SystemRoot ?? env.SYSTEMROOT ?? env.windir ?? "C:\\Windows";
  const folders = [
    dirname(library),
    join(windir, "System32"),
    windir,
    process.cwd(),
    ...(env.PATH ?? env.Path ?? "").split(";").filter((p) => p !== ""),
  ];
  return peImports(bytes).find((dll) =>
    !/^(api|ext)-ms-/i.test(dll) && !folders.some((f) => existsSync(join(f, dll)))
  );
}

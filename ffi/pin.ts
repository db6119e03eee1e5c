/**
 * Pins a loaded library so that it is never unmapped, not even when the runtime tears its
 * handles down at exit. Native libraries such as MSALRuntime keep worker threads running
 * inside their code; unloading such a library (Deno does it at exit) makes those threads
 * crash the process. Pinning takes one more reference through the system loader with
 * `RTLD_NODELETE` (Linux, macOS) or `GET_MODULE_HANDLE_EX_FLAG_PIN` (Windows).
 *
 * @module
 */

import { platform } from "node:os";
import { encodeString } from "./strings.ts";
import type { FfiBackend, NativeLibrary, SymbolTable } from "./types.ts";

const RTLD_NOW = 2;

const loaderSymbols = {
  /** void* dlopen(const char* filename, int flags) */
  dlopen: { parameters: ["buffer", "i32"], result: "pointer" },
} as const satisfies SymbolTable;

const windowsSymbols = {
  /** BOOL GetModuleHandleExW(DWORD dwFlags, LPCWSTR lpModuleName, HMODULE* phModule) */
  GetModuleHandleExW: { parameters: ["u32", "buffer", "buffer"], result: "i32" },
} as const satisfies SymbolTable;

let loader: NativeLibrary<typeof loaderSymbols> | null | undefined;
let kernel32: NativeLibrary<typeof windowsSymbols> | null | undefined;

function open<S extends SymbolTable>(
  backend: FfiBackend,
  names: string[],
  symbols: S,
): NativeLibrary<S> | null {
  for (const name of names) {
    try {
      return backend.open(name, symbols);
    } catch {
      // try the next name
    }
  }
  return null;
}

/**
 * Pins the library at `path` (already loaded by `backend`).
 *
 * @param backend the runtime's FFI backend
 * @param path the path or name the library was opened with
 * @returns whether the library is now pinned
 */
export function pinLibrary(backend: FfiBackend, path: string): boolean {
  const os = platform();
  if (os === "win32") {
    kernel32 ??= open(backend, ["kernel32.dll"], windowsSymbols);
    if (!kernel32) return false;
    const GET_MODULE_HANDLE_EX_FLAG_PIN = 1;
    const out = new BigUint64Array(1);
    return kernel32.symbols.GetModuleHandleExW(
      GET_MODULE_HANDLE_EX_FLAG_PIN,
      encodeString(path, "utf16"),
      out,
    ) !== 0;
  }
  const names = os === "darwin" ? ["/usr/lib/libSystem.B.dylib"] : ["libc.so.6", "libdl.so.2"];
  loader ??= open(backend, names, loaderSymbols);
  if (!loader) return false;
  const RTLD_NODELETE = os === "darwin" ? 0x80 : 0x1000;
  return loader.symbols.dlopen(encodeString(path, "utf8"), RTLD_NOW | RTLD_NODELETE) !== 0n;
}

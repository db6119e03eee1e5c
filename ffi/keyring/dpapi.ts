/**
 * Windows DPAPI (`CryptProtectData` / `CryptUnprotectData`): encrypts bytes with a key only
 * the current Windows user can use. Written against the documented signatures; UNTESTED on
 * a real Windows system (none can run here).
 *
 * `DATA_BLOB` (x64): `{ DWORD cbData; /* 4 bytes padding *\/ BYTE *pbData; }`, 16 bytes.
 * The input blob points at memory from `LocalAlloc` filled by `RtlMoveMemory` (the FFI layer
 * passes JavaScript buffers only as direct arguments); the output is freed with `LocalFree`.
 *
 * @module
 */

import { openLibrary } from "../library.ts";
import { loadBackend } from "../runtime.ts";
import type { FfiBackend, NativeLibrary, SymbolTable } from "../types.ts";
import { KeyringFailure } from "./failure.ts";

/** crypt32.dll functions used. */
export const crypt32Symbols = {
  /**
   * BOOL CryptProtectData(DATA_BLOB *pDataIn, LPCWSTR szDataDescr,
   *   DATA_BLOB *pOptionalEntropy, PVOID pvReserved,
   *   CRYPTPROTECT_PROMPTSTRUCT *pPromptStruct, DWORD dwFlags, DATA_BLOB *pDataOut)
   */
  CryptProtectData: {
    parameters: ["buffer", "buffer", "pointer", "pointer", "pointer", "u32", "buffer"],
    result: "i32",
  },
  /**
   * BOOL CryptUnprotectData(DATA_BLOB *pDataIn, LPWSTR *ppszDataDescr,
   *   DATA_BLOB *pOptionalEntropy, PVOID pvReserved,
   *   CRYPTPROTECT_PROMPTSTRUCT *pPromptStruct, DWORD dwFlags, DATA_BLOB *pDataOut)
   */
  CryptUnprotectData: {
    parameters: ["buffer", "pointer", "pointer", "pointer", "pointer", "u32", "buffer"],
    result: "i32",
  },
} as const satisfies SymbolTable;

/** kernel32.dll functions used. */
export const kernel32Symbols = {
  /** HLOCAL LocalAlloc(UINT uFlags, SIZE_T uBytes) */
  LocalAlloc: { parameters: ["u32", "u64"], result: "pointer" },
  /** HLOCAL LocalFree(HLOCAL hMem) */
  LocalFree: { parameters: ["pointer"], result: "pointer" },
  /** void RtlMoveMemory(void *Destination, const void *Source, SIZE_T Length) */
  RtlMoveMemory: { parameters: ["pointer", "buffer", "u64"], result: "void" },
  /** DWORD GetLastError(void) */
  GetLastError: { parameters: [], result: "u32" },
} as const satisfies SymbolTable;

/** `sizeof(DATA_BLOB)` on 64-bit Windows. */
export const DATA_BLOB_SIZE = 16;
/** `CRYPTPROTECT_UI_FORBIDDEN`: fail rather than show UI. */
export const CRYPTPROTECT_UI_FORBIDDEN = 0x1;
const LMEM_FIXED = 0;

/**
 * Lays out a `DATA_BLOB`.
 *
 * @param size `cbData`
 * @param pointer `pbData`
 * @returns the 16 bytes
 * @example
 * ```ts
 * import { dataBlob, readDataBlob } from "./dpapi.ts";
 * console.log(readDataBlob(dataBlob(3, 0x1000n))); // { size: 3, pointer: 4096n }
 * ```
 */
export function dataBlob(size: number, pointer: bigint): Uint8Array {
  const bytes = new Uint8Array(DATA_BLOB_SIZE);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, size, true);
  view.setBigUint64(8, pointer, true);
  return bytes;
}

/**
 * Reads a `DATA_BLOB`.
 *
 * @param bytes the 16 bytes
 * @returns `cbData` and `pbData`
 * @example
 * ```ts
 * import { dataBlob, readDataBlob } from "./dpapi.ts";
 * console.log(readDataBlob(dataBlob(16, 0x2000n)).size); // 16
 * ```
 */
export function readDataBlob(bytes: Uint8Array): { size: number; pointer: bigint; } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { size: view.getUint32(0, true), pointer: view.getBigUint64(8, true) };
}

interface Loaded {
  backend: FfiBackend;
  crypt32: NativeLibrary<typeof crypt32Symbols>;
  kernel32: NativeLibrary<typeof kernel32Symbols>;
}
let loading: Promise<Loaded> | undefined;

async function load(): Promise<Loaded> {
  try {
    return {
      backend: await loadBackend(),
      crypt32: await openLibrary("crypt32.dll", crypt32Symbols),
      kernel32: await openLibrary("kernel32.dll", kernel32Symbols),
    };
  } catch (err) {
    throw new KeyringFailure("unavailable", `DPAPI cannot be loaded: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

async function transform(data: Uint8Array, protect: boolean): Promise<Uint8Array> {
  loading ??= load();
  loading.catch(() => (loading = undefined));
  const { backend, crypt32, kernel32 } = await loading;
  const k = kernel32.symbols;
  const input = k.LocalAlloc(LMEM_FIXED, BigInt(Math.max(1, data.length)));
  if (input === 0n) throw new KeyringFailure("failed", "LocalAlloc failed");
  try {
    k.RtlMoveMemory(input, data, BigInt(data.length));
    const out = new Uint8Array(DATA_BLOB_SIZE);
    const ok = protect
      ? crypt32.symbols.CryptProtectData(
        dataBlob(data.length, input),
        null,
        0n,
        0n,
        0n,
        CRYPTPROTECT_UI_FORBIDDEN,
        out,
      )
      : crypt32.symbols.CryptUnprotectData(
        dataBlob(data.length, input),
        0n,
        0n,
        0n,
        0n,
        CRYPTPROTECT_UI_FORBIDDEN,
        out,
      );
    if (!ok) {
      const name = protect ? "CryptProtectData" : "CryptUnprotectData";
      throw new KeyringFailure("failed", `${name} failed (GetLastError ${k.GetLastError()})`);
    }
    const blob = readDataBlob(out);
    try {
      return backend.readBytes(blob.pointer, blob.size);
    } finally {
      k.LocalFree(blob.pointer);
    }
  } finally {
    k.LocalFree(input);
  }
}

/**
 * Seals bytes with DPAPI for the current Windows user (no UI).
 *
 * @param data the bytes to protect
 * @returns the sealed blob
 * @throws KeyringFailure when DPAPI cannot be loaded or refuses
 * @example
 * ```ts
 * import { dpapiProtect, dpapiUnprotect } from "./dpapi.ts";
 * const sealed = await dpapiProtect(new Uint8Array([1, 2, 3]));
 * console.log(await dpapiUnprotect(sealed));
 * ```
 */
export function dpapiProtect(data: Uint8Array): Promise<Uint8Array> {
  return transform(data, true);
}

/**
 * Reverses {@link dpapiProtect} (same Windows user only).
 *
 * @param data what `dpapiProtect` returned
 * @returns the original bytes
 * @throws KeyringFailure when DPAPI refuses (another user, a corrupt blob)
 * @example
 * ```ts
 * import { dpapiProtect, dpapiUnprotect } from "./dpapi.ts";
 * console.log(await dpapiUnprotect(await dpapiProtect(new Uint8Array([7]))));
 * ```
 */
export function dpapiUnprotect(data: Uint8Array): Promise<Uint8Array> {
  return transform(data, false);
}

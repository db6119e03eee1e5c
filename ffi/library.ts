/**
 * Opening a native library by path or by name, with errors that say what is missing: the
 * file itself, one of its dependencies (named), or a symbol.
 *
 * @module
 */

import { existsSync } from "node:fs";
import { basename } from "node:path";
import { NativeLibraryError } from "../src/errors.ts";
import { missingWindowsDependency } from "./pe_imports.ts";
import { pinLibrary } from "./pin.ts";
import { loadBackend } from "./runtime.ts";
import type { NativeLibrary, SymbolTable } from "./types.ts";

/** Advice attached to load errors. */
export interface OpenLibraryOptions {
  /** What to do when the library file itself is missing (e.g. the install command). */
  missingAdvice?: string;
  /** What to do when dependency `soname` is missing (e.g. the distro package to install). */
  dependencyAdvice?: (soname: string) => string | undefined;
}

/**
 * Opens a native library with the running runtime's backend and binds `symbols`. The library
 * is pinned: it stays mapped until the process ends, even if its handle is closed, because
 * native libraries keep threads running inside their code (unloading them crashes Deno).
 *
 * @param path a path (`/opt/lib/libx.so`) or a name the system loader searches (`libc.so.6`)
 * @param symbols the functions to bind
 * @param options advice to put in error messages
 * @returns the opened library
 * @throws NativeLibraryError `native_library_missing`, `native_dependency_missing`,
 *   `native_symbol_missing` or `native_load_failed`
 * @example
 * ```ts
 * import { openLibrary } from "./library.ts";
 * const libc = await openLibrary("libc.so.6", {
 *   getpid: { parameters: [], result: "i32" },
 * });
 * console.log(libc.symbols.getpid());
 * ```
 */
export async function openLibrary<S extends SymbolTable>(
  path: string,
  symbols: S,
  options: OpenLibraryOptions = {},
): Promise<NativeLibrary<S>> {
  const backend = await loadBackend();
  const isPath = /[\\/]/.test(path);
  if (isPath && !existsSync(path)) {
    throw new NativeLibraryError(
      "native_library_missing",
      `Native library not found: ${path}.${advice(options.missingAdvice)}`,
      { library: path },
    );
  }
  let library: NativeLibrary<S>;
  try {
    library = backend.open(path, symbols);
  } catch (err) {
    throw explainLoadError(path, symbols, err, options);
  }
  pinLibrary(backend, path);
  return library;
}

function advice(text: string | undefined): string {
  return text ? ` ${text}` : "";
}

const SONAME = /([^\s:'"(),]+\.(?:so(?:\.[\w.]+)?|dylib|dll))\s*:\s*cannot open shared object/i;
const DYLD = /Library not loaded:\s*(\S+)/i;
/**
 * Windows' ERROR_MOD_NOT_FOUND (126) as each runtime words it: Deno "(os error 126)" or the
 * system text, Bun "error code 126", koffi the system text ("The specified module could not
 * be found.", Wine: "Module not found.").
 */
const WINDOWS_MOD_NOT_FOUND =
  /\berror (?:code )?126\b|specified module could not be found|module not found/i;

/**
 * Turns a backend's load failure into a {@link NativeLibraryError}.
 *
 * @param path the library that was being opened
 * @param symbols the table that was being bound
 * @param err what the backend threw
 * @param options advice for the message
 * @returns the error to throw
 */
export function explainLoadError(
  path: string,
  symbols: SymbolTable,
  err: unknown,
  options: OpenLibraryOptions = {},
): NativeLibraryError {
  const loaderMessage = err instanceof Error ? err.message : String(err);
  const soname = SONAME.exec(loaderMessage)?.[1] ?? DYLD.exec(loaderMessage)?.[1];
  if (soname !== undefined) {
    if (basename(soname) === basename(path)) {
      return new NativeLibraryError(
        "native_library_missing",
        `Native library not found: ${path}.${advice(options.missingAdvice)}`,
        { library: path, loaderMessage, cause: err },
      );
    }
    const dep = basename(soname);
    return new NativeLibraryError(
      "native_dependency_missing",
      `${basename(path)} cannot load because a library it needs is missing: ${dep}.`
        + advice(options.dependencyAdvice?.(dep) ?? `Install the package that provides ${dep}.`),
      { library: path, missing: dep, loaderMessage, cause: err },
    );
  }
  if (WINDOWS_MOD_NOT_FOUND.test(loaderMessage)) {
    // Error 126 means the library or one of its DLLs is missing; it names neither.
    if (!/[\\/]/.test(path) || !existsSync(path)) {
      return new NativeLibraryError(
        "native_library_missing",
        `Native library not found: ${path}.${advice(options.missingAdvice)}`,
        { library: path, loaderMessage, cause: err },
      );
    }
    const dep = missingWindowsDependency(path);
    return new NativeLibraryError(
      "native_dependency_missing",
      dep === undefined
        ? `${basename(path)} cannot load because a DLL it needs, or one of theirs, is missing `
          + "(Windows error 126). Reinstall the package that provides it."
        : `${basename(path)} cannot load because a DLL it needs is missing: ${dep}.`
          + advice(options.dependencyAdvice?.(dep) ?? `Install the package that provides ${dep}.`),
      { library: path, missing: dep, loaderMessage, cause: err },
    );
  }
  if (/cannot open shared object file|image not found|no such file/i.test(loaderMessage)) {
    // The loader named no other file (koffi drops the name): the library itself is missing.
    return new NativeLibraryError(
      "native_library_missing",
      `Native library not found: ${path}.${advice(options.missingAdvice)}`,
      { library: path, loaderMessage, cause: err },
    );
  }
  const symbol = Object.keys(symbols).find((name) =>
    new RegExp(`\\b${name}\\b`).test(loaderMessage)
  );
  if (symbol !== undefined) {
    return new NativeLibraryError(
      "native_symbol_missing",
      `${basename(path)} does not export ${symbol}: it is not the expected library or `
        + "its version is too old.",
      { library: path, missing: symbol, loaderMessage, cause: err },
    );
  }
  return new NativeLibraryError(
    "native_load_failed",
    `Could not load ${path}: ${loaderMessage}`,
    { library: path, loaderMessage, cause: err },
  );
}

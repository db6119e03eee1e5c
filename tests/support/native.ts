/**
 * Builds the C test libraries under tests/native/ with the system `cc` (once; safe when
 * several test processes race) and declares the symbol table of libfftest.
 */

import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, renameSync, statSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import type { SymbolTable } from "../../ffi/types.ts";
import { repoPath } from "./paths.ts";

const nativeDir = repoPath("tests", "native");
const buildDir = join(nativeDir, "build");

/**
 * Compiles C sources from tests/native/ into a shared library in tests/native/build/ when the
 * library is older than its sources (atomic rename: safe when test processes race).
 *
 * @param output the library's path under tests/native/build/
 * @param sources source files under tests/native/
 * @param extra more `cc` arguments
 * @returns the library's path
 */
export function buildNative(output: string, sources: string[], extra: string[] = []): string {
  if (process.platform === "win32") return prebuiltDll(output);
  const target = join(buildDir, output);
  const newest = Math.max(...sources.map((s) => statSync(join(nativeDir, s)).mtimeMs));
  if (existsSync(target) && statSync(target).mtimeMs >= newest) return target;
  mkdirSync(join(target, ".."), { recursive: true });
  const temp = `${target}.${process.pid}.tmp`;
  execFileSync("cc", [
    "-O2",
    "-shared",
    "-fPIC",
    "-pthread",
    "-o",
    temp,
    ...sources.map((s) => join(nativeDir, s)),
    ...extra,
  ], { stdio: "pipe" });
  renameSync(temp, target);
  return target;
}

/**
 * On Windows (the suite under Wine) the DLLs are built beforehand on the Linux host by
 * tests/native/build-dlls.sh with mingw-w64: maps a Linux library name to its DLL there
 * (`libfftest.so` → `build/win64/fftest.dll`, `deps/libftdep.so.1` → `build/win64/deps/ftdep.dll`).
 */
function prebuiltDll(output: string): string {
  const name = output.replace(/\\/g, "/").replace(/(^|\/)lib([^/]+?)\.so(\.\d+)*$/, "$1$2.dll");
  const target = join(buildDir, "win64", name);
  if (!existsSync(target)) {
    throw new Error(`${target} is missing: build the test DLLs with tests/native/build-dlls.sh`);
  }
  return target;
}

/**
 * A stand-in `libmsalruntime.so` that needs `libsoup-2.4.so.1` (a dependency of MSALRuntime's
 * rhel8_9 build, absent from Debian 12), which the loader cannot find: the missing-system-
 * library error path of the real binding.
 */
export function msalRuntimeMissingDependency(): string {
  buildNative(join("stubdep", "libsoup-2.4.so.1"), ["ftdep.c"], ["-Wl,-soname,libsoup-2.4.so.1"]);
  return buildNative(join("stub", "libmsalruntime.so"), ["ftneeds.c"], [
    `-L${join(buildDir, "stubdep")}`,
    "-l:libsoup-2.4.so.1",
  ]);
}

/** Builds (if needed) and returns the paths of the C test libraries. */
export function nativeTestLibraries(): {
  fftest: string;
  needsMissingDependency: string;
} {
  const fftest = buildNative("libfftest.so", ["fftest.c"]);
  buildNative(join("deps", "libftdep.so.1"), ["ftdep.c"], ["-Wl,-soname,libftdep.so.1"]);
  const needs = buildNative("libftneeds.so", ["ftneeds.c"], [
    `-L${join(buildDir, "deps")}`,
    "-l:libftdep.so.1",
  ]);
  return { fftest, needsMissingDependency: needs };
}

/** The symbols of libfftest (tests/native/fftest.c), with their C signatures. */
export const fftestSymbols = {
  /** int32_t ft_add_i32(int32_t a, int32_t b) */
  ft_add_i32: { parameters: ["i32", "i32"], result: "i32" },
  /** uint32_t ft_add_u32(uint32_t a, uint32_t b) */
  ft_add_u32: { parameters: ["u32", "u32"], result: "u32" },
  /** int64_t ft_add_i64(int64_t a, int64_t b) */
  ft_add_i64: { parameters: ["i64", "i64"], result: "i64" },
  /** uint64_t ft_add_u64(uint64_t a, uint64_t b) */
  ft_add_u64: { parameters: ["u64", "u64"], result: "u64" },
  /** double ft_scale(double a, double b) */
  ft_scale: { parameters: ["f64", "f64"], result: "f64" },
  /** bool ft_negate(bool v) */
  ft_negate: { parameters: ["bool"], result: "bool" },
  /** int32_t ft_noop(void) */
  ft_noop: { parameters: [], result: "i32" },
  /** uint64_t ft_thread_id(void) */
  ft_thread_id: { parameters: [], result: "u64" },
  /** int32_t ft_live_objects(void) */
  ft_live_objects: { parameters: [], result: "i32" },
  /** int32_t ft_live_errors(void) */
  ft_live_errors: { parameters: [], result: "i32" },
  /** int32_t ft_threads_in_flight(void) */
  ft_threads_in_flight: { parameters: [], result: "i32" },
  /** int32_t ft_callbacks_delivered(void) */
  ft_callbacks_delivered: { parameters: [], result: "i32" },
  /** const char* ft_static_string(void) */
  ft_static_string: { parameters: [], result: "pointer" },
  /** const char* ft_null_string(void) */
  ft_null_string: { parameters: [], result: "pointer" },
  /** int32_t ft_err_status(const ft_err* e) */
  ft_err_status: { parameters: ["pointer"], result: "i32" },
  /** void ft_err_release(ft_err* e) */
  ft_err_release: { parameters: ["pointer"], result: "void" },
  /** ft_err* ft_obj_create(const char* name, int32_t value, ft_obj** out) */
  ft_obj_create: { parameters: ["buffer", "i32", "buffer"], result: "pointer" },
  /** ft_err* ft_obj_create_w(const uint16_t* name, int32_t value, ft_obj** out) */
  ft_obj_create_w: { parameters: ["buffer", "i32", "buffer"], result: "pointer" },
  /** void ft_obj_release(ft_obj* o) */
  ft_obj_release: { parameters: ["pointer"], result: "void" },
  /** ft_err* ft_obj_get_name(const ft_obj* o, char* buf, int32_t* size) */
  ft_obj_get_name: { parameters: ["pointer", "buffer", "buffer"], result: "pointer" },
  /** ft_err* ft_obj_get_name_w(const ft_obj* o, uint16_t* buf, int32_t* size) */
  ft_obj_get_name_w: { parameters: ["pointer", "buffer", "buffer"], result: "pointer" },
  /** ft_err* ft_obj_get_values(const ft_obj* o, int32_t* out32, int64_t* out64, bool* positive) */
  ft_obj_get_values: {
    parameters: ["pointer", "buffer", "buffer", "buffer"],
    result: "pointer",
  },
  /** ft_err* ft_async_create(const char* name, int32_t value, int32_t delay_ms, ft_callback cb, void* data) */
  ft_async_create: {
    parameters: ["buffer", "i32", "i32", "function", "pointer"],
    result: "pointer",
  },
  /** ft_err* ft_async_hang(const char* name, ft_callback cb, void* data) */
  ft_async_hang: { parameters: ["buffer", "function", "pointer"], result: "pointer" },
  /** void ft_release_hung(void) */
  ft_release_hung: { parameters: [], result: "void" },
  /** ft_err* ft_emit_messages(const char* text, int32_t count, ft_message_callback cb, void* data) */
  ft_emit_messages: {
    parameters: ["buffer", "i32", "function", "pointer"],
    result: "pointer",
  },
  /** ft_err* ft_emit_messages_w(const uint16_t* text, int32_t count, ft_wmessage_callback cb, void* data) */
  ft_emit_messages_w: {
    parameters: ["buffer", "i32", "function", "pointer"],
    result: "pointer",
  },
  /** void ft_emit_sync(const char* text, ft_message_callback cb, void* data) */
  ft_emit_sync: { parameters: ["buffer", "function", "pointer"], result: "void" },
  /** A symbol the library does not export, declared optional. */
  ft_not_exported: { parameters: [], result: "i32", optional: true },
} as const satisfies SymbolTable;

/**
 * Builds the MSALRuntime test double (tests/native/msalruntime_double.c) with the system `cc`
 * (once; safe when several test processes race) and declares the symbol table of its
 * `double_*` control functions. The double exports the 65 `MSALRUNTIME_*` functions too; those
 * are bound through ffi/msalruntime/symbols.ts like the real library's.
 */

import type { SymbolTable } from "../../ffi/types.ts";
import { buildNative } from "./native.ts";

const SOURCE = "msalruntime_double.c";

/**
 * Builds (if the source is newer than the library) and returns the double's path.
 *
 * @returns the path of `libmsalruntime_double.so`
 * @throws Error when `cc` fails (its output is in the error)
 */
export function msalRuntimeDoublePath(): string {
  return buildNative("libmsalruntime_double.so", [SOURCE], ["-Wall", "-Wextra"]);
}

/** The double's handle kinds, as `double_live_handles` takes them. */
export const HANDLE_KINDS = {
  error: 0,
  authParameters: 1,
  authResult: 2,
  account: 3,
  async: 4,
  signOutResult: 5,
  readAccountResult: 6,
  discoverResult: 7,
  logCallback: 8,
} as const;

/** The name of a handle kind. */
export type HandleKind = keyof typeof HANDLE_KINDS;

/** Fault modes of `double_set_fault`. */
export const FAULT_MODES = {
  /** complete normally after the delay */
  complete: 0,
  /** complete with the given error status */
  error: 1,
  /** never complete until `double_release_hung` */
  hang: 2,
  /** fail synchronously with the given status (no completion) */
  syncFail: 3,
  /** complete before the *Async call returns (with the status as error when >= 0) */
  early: 4,
} as const;

/** The `double_*` control functions, with their C signatures. */
export const doubleSymbols = {
  /** int32_t double_live_handles(int32_t kind): -1 for all kinds */
  double_live_handles: { parameters: ["i32"], result: "i32" },
  /** int32_t double_bad_releases(void) */
  double_bad_releases: { parameters: [], result: "i32" },
  /** int32_t double_bad_uses(void) */
  double_bad_uses: { parameters: [], result: "i32" },
  /** void double_set_fault(const char* op, int32_t status, int32_t delay_ms, int32_t mode) */
  double_set_fault: { parameters: ["buffer", "i32", "i32", "i32"], result: "void" },
  /** void double_release_hung(void) */
  double_release_hung: { parameters: [], result: "void" },
  /** void double_set_option(const char* name, int32_t value) */
  double_set_option: { parameters: ["buffer", "i32"], result: "void" },
  /** int32_t double_calls(const char* name) */
  double_calls: { parameters: ["buffer"], result: "i32" },
  /** int32_t double_outstanding(void) */
  double_outstanding: { parameters: [], result: "i32" },
  /** int32_t double_threads_in_flight(void) */
  double_threads_in_flight: { parameters: [], result: "i32" },
  /** int32_t double_callbacks_delivered(void) */
  double_callbacks_delivered: { parameters: [], result: "i32" },
  /** int32_t double_early_completions(void) */
  double_early_completions: { parameters: [], result: "i32" },
  /** int32_t double_shutdown_while_outstanding(void) */
  double_shutdown_while_outstanding: { parameters: [], result: "i32" },
  /** int32_t double_started(void) */
  double_started: { parameters: [], result: "i32" },
  /** int32_t double_pii_enabled(void) */
  double_pii_enabled: { parameters: [], result: "i32" },
  /** int32_t double_log_lines(int32_t where): 0 calling threads, 1 worker threads, -1 all */
  double_log_lines: { parameters: ["i32"], result: "i32" },
  /** int32_t double_last_request(char* buffer, int32_t size): bytes needed, with the NUL */
  double_last_request: { parameters: ["buffer", "i32"], result: "i32" },
  /** void double_reset(void) */
  double_reset: { parameters: [], result: "void" },
} as const satisfies SymbolTable;

/** The bound control functions. */
export type DoubleSymbols = typeof doubleSymbols;

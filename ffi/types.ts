/**
 * The neutral notation in which every native symbol table of entra-auth is declared, and the
 * contract each runtime backend (Deno, Bun, Node + koffi) fulfils.
 *
 * JavaScript representation of each native type, identical in every runtime:
 *
 * | notation    | C                                   | JavaScript value                      |
 * | ----------- | ----------------------------------- | ------------------------------------- |
 * | `"void"`    | `void` (results only)               | `undefined`                           |
 * | `"bool"`    | `bool` (C99, one byte)              | `boolean`                             |
 * | `"i32"`     | `int32_t`                           | `number`                              |
 * | `"u32"`     | `uint32_t`                          | `number`                              |
 * | `"i64"`     | `int64_t`                           | `bigint`                              |
 * | `"u64"`     | `uint64_t`                          | `bigint`                              |
 * | `"f64"`     | `double`                            | `number`                              |
 * | `"pointer"` | any `T*`, opaque handle, `void*`    | `bigint` address, `0n` is `NULL`      |
 * | `"buffer"`  | `T*` to memory the caller owns      | a typed array or `null` (parameters)  |
 * | `"function"`| a function pointer                  | `bigint` from {@link NativeCallback}  |
 * | `"string"`  | `const char*` callback parameter    | `string` or `null`, decoded in time   |
 * | `"wstring"` | `const uint16_t*` (UTF-16) param.   | `string` or `null`, decoded in time   |
 *
 * A `"string"` callback parameter is decoded before the native caller can reuse the memory,
 * in every runtime (Bun delivers thread-safe calls after the native side has moved on, so its
 * backend copies the string on the native thread first).
 *
 * @module
 */

/** A native type in entra-auth's runtime-neutral notation (see the module documentation). */
export type NativeType =
  | "void"
  | "bool"
  | "i32"
  | "u32"
  | "i64"
  | "u64"
  | "f64"
  | "pointer"
  | "buffer"
  | "function";

/** Declaration of one C function: its parameter types in order and its result type. */
export interface FunctionDefinition {
  readonly parameters: readonly NativeType[];
  readonly result: NativeType;
  /** The function is optional: a library that does not export it still loads. */
  readonly optional?: boolean;
  /**
   * Run the call off the JavaScript thread and return a Promise. Use it for native functions
   * that may wait on a lock held by a thread that is itself waiting to deliver a callback to
   * JavaScript: Deno and koffi make such threads wait until the JavaScript thread runs the
   * callback, so a blocking call there deadlocks. (Bun delivers callbacks without making the
   * native thread wait, so there the call runs inline.)
   */
  readonly nonblocking?: boolean;
  /**
   * With `nonblocking`: the call may block for long by itself (a round trip to another
   * process), so it leaves the JavaScript thread in every runtime, Bun included (a Worker).
   * Scalar parameters only.
   */
  readonly mayBlock?: boolean;
}

/** A table of C functions to bind, keyed by exported symbol name. */
export type SymbolTable = Readonly<Record<string, FunctionDefinition>>;

/** A parameter type of a callback. */
export type CallbackParameterType =
  | Exclude<NativeType, "void" | "buffer">
  | "string"
  | "wstring";

/** Declaration of a callback's C signature (the function pointer type it is passed as). */
export interface CallbackDefinition {
  readonly parameters: readonly CallbackParameterType[];
  readonly result: "void";
}

/** The JavaScript type of a value of native type `T`. */
export type JsValue<T extends NativeType> = T extends "void" ? void
  : T extends "bool" ? boolean
  : T extends "i32" | "u32" | "f64" ? number
  : T extends "i64" | "u64" | "pointer" | "function" ? bigint
  : T extends "buffer" ? ArrayBufferView | null
  : never;

/** Maps a tuple of native types to the tuple of their JavaScript types. */
export type JsParameters<P extends readonly NativeType[]> = {
  -readonly [K in keyof P]: P[K] extends NativeType ? JsValue<P[K]> : never;
};

/** A bound C function (returning a Promise when declared `nonblocking`). */
export type BoundFunction<D extends FunctionDefinition> = (
  ...args: JsParameters<D["parameters"]>
) => D["nonblocking"] extends true ? Promise<JsValue<D["result"]>> : JsValue<D["result"]>;

/** The functions of a loaded library; optional functions are `undefined` when absent. */
export type BoundSymbols<S extends SymbolTable> = {
  readonly [K in keyof S]: S[K]["optional"] extends true ? BoundFunction<S[K]> | undefined
    : BoundFunction<S[K]>;
};

/** A native library opened by a backend. */
export interface NativeLibrary<S extends SymbolTable> {
  /** The bound functions. */
  readonly symbols: BoundSymbols<S>;
  /** The path it was opened from. */
  readonly path: string;
  /**
   * Unloads the library. Never call this while a native thread may still run inside it
   * (Deno crashes); owners keep the library open for the life of the process instead.
   */
  close(): void;
}

/**
 * A JavaScript function made callable from native code, on any native thread. Calls made on
 * other threads are delivered on the JavaScript thread.
 */
export interface NativeCallback {
  /** The function pointer to pass to native code (a `"function"` or `"pointer"` argument). */
  readonly pointer: bigint;
  /** Keeps the process alive until {@link NativeCallback.unref} (counted: one per call). */
  ref(): void;
  /** Releases one {@link NativeCallback.ref}. */
  unref(): void;
  /**
   * Frees the native trampoline. Only call it when no native code can call it any more:
   * freeing a callback before it fires crashes Deno and aborts Node.
   */
  close(): void;
}

/** The name of a JavaScript runtime entra-auth supports. */
export type RuntimeName = "deno" | "bun" | "node";

/** What one runtime backend provides. Only `ffi/` sees this interface. */
export interface FfiBackend {
  /** Which runtime this backend serves. */
  readonly runtime: RuntimeName;
  /** Opens a library by path or by bare name (`libc.so.6`) and binds `symbols`. */
  open<S extends SymbolTable>(path: string, symbols: S): NativeLibrary<S>;
  /** Creates a thread-safe callback; see {@link NativeCallback}. */
  callback(
    definition: CallbackDefinition,
    fn: (...args: never[]) => void,
  ): NativeCallback;
  /** Reads a NUL-terminated UTF-8 string at `address`; `null` for address `0n`. */
  readCString(address: bigint): string | null;
  /** Copies `length` bytes starting at `address`. */
  readBytes(address: bigint, length: number): Uint8Array;
}

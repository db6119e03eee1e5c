/**
 * The Deno backend: `Deno.dlopen` and `Deno.UnsafeCallback.threadSafe`.
 *
 * Pointers travel as `usize` so that every address is a `bigint` on the JavaScript side,
 * exactly as in the other backends; a pointer-sized integer has the same ABI as a pointer.
 *
 * @module
 */

import type {
  BoundSymbols,
  CallbackDefinition,
  CallbackParameterType,
  FfiBackend,
  NativeCallback,
  NativeLibrary,
  NativeType,
  SymbolTable,
} from "../types.ts";
import { readWideString } from "../wide_string.ts";

type DenoType = Deno.NativeType | Deno.NativeResultType;

function toDeno(type: NativeType | CallbackParameterType): DenoType {
  switch (type) {
    case "pointer":
    case "function":
    case "string":
    case "wstring":
      return "usize";
    case "buffer":
      return "buffer";
    default:
      return type;
  }
}

function toBigInt(v: unknown): bigint {
  return typeof v === "bigint" ? v : BigInt(v as number);
}

function normalizer(
  type: NativeType | CallbackParameterType,
): ((v: unknown) => unknown) | undefined {
  switch (type) {
    case "string":
      // A thread-safe Deno callback blocks the native caller until it returns: decode now.
      return (v) => backend.readCString(toBigInt(v));
    case "wstring":
      return (v) => readWideString(backend, toBigInt(v));
    case "pointer":
    case "function":
    case "i64":
    case "u64":
      return toBigInt;
    default:
      return undefined;
  }
}

function bind(
  fn: (...a: unknown[]) => unknown,
  result: NativeType,
  nonblocking: boolean,
): (...a: unknown[]) => unknown {
  const normalize = normalizer(result);
  if (!normalize) return fn;
  if (nonblocking) return async (...args: unknown[]) => normalize(await fn(...args));
  return (...args: unknown[]) => normalize(fn(...args));
}

class DenoCallback implements NativeCallback {
  readonly pointer: bigint;
  #callback: Deno.UnsafeCallback | undefined;
  #refs = 0;

  constructor(definition: CallbackDefinition, fn: (...args: never[]) => void) {
    const normalizers = definition.parameters.map(normalizer);
    const wrapped = (...args: unknown[]) => {
      for (let i = 0; i < args.length; i++) {
        const n = normalizers[i];
        if (n) args[i] = n(args[i]);
      }
      (fn as (...a: unknown[]) => void)(...args);
    };
    this.#callback = Deno.UnsafeCallback.threadSafe(
      {
        parameters: definition.parameters.map(toDeno) as Deno.NativeType[],
        result: "void",
      },
      wrapped as Deno.UnsafeCallbackFunction,
    );
    // A thread-safe callback starts out holding the event loop open; we count refs instead.
    this.#callback.unref();
    this.pointer = BigInt(Deno.UnsafePointer.value(this.#callback.pointer));
  }

  ref(): void {
    if (this.#refs++ === 0) this.#callback?.ref();
  }

  unref(): void {
    if (this.#refs > 0 && --this.#refs === 0) this.#callback?.unref();
  }

  close(): void {
    const cb = this.#callback;
    this.#callback = undefined;
    this.#refs = 0;
    cb?.close();
  }
}

/** The Deno FFI backend. */
export const backend: FfiBackend = {
  runtime: "deno",

  open<S extends SymbolTable>(path: string, symbols: S): NativeLibrary<S> {
    const present: Record<string, Deno.ForeignFunction> = {};
    for (const [name, def] of Object.entries(symbols)) {
      present[name] = {
        parameters: def.parameters.map(toDeno) as Deno.NativeType[],
        result: toDeno(def.result) as Deno.NativeResultType,
        optional: def.optional ?? false,
        nonblocking: def.nonblocking ?? false,
      };
    }
    const lib = Deno.dlopen(path, present);
    const bound: Record<string, unknown> = {};
    for (const [name, def] of Object.entries(symbols)) {
      const fn = (lib.symbols as Record<string, unknown>)[name] as
        | ((...a: unknown[]) => unknown)
        | null;
      bound[name] = fn ? bind(fn, def.result, def.nonblocking ?? false) : undefined;
    }
    return {
      path,
      symbols: bound as BoundSymbols<S>,
      close: () => lib.close(),
    };
  },

  callback(definition: CallbackDefinition, fn: (...args: never[]) => void): NativeCallback {
    return new DenoCallback(definition, fn);
  },

  readCString(address: bigint): string | null {
    const p = Deno.UnsafePointer.create(address);
    return p === null ? null : Deno.UnsafePointerView.getCString(p);
  },

  readBytes(address: bigint, length: number): Uint8Array {
    const p = Deno.UnsafePointer.create(address);
    if (p === null || length === 0) return new Uint8Array(0);
    return new Uint8Array(Deno.UnsafePointerView.getArrayBuffer(p, length).slice(0));
  },
};

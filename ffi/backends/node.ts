/**
 * The Node backend: koffi (an optional dependency, loaded only here and only on Node).
 *
 * koffi 3 represents pointers as `bigint` already. A call from another native thread into a
 * registered callback is queued to the JavaScript thread; a referenced timer keeps the
 * process alive while one is expected.
 *
 * @module
 */

import { createRequire } from "node:module";
import process from "node:process";
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
import { TimerHeldCallback } from "./keep_alive.ts";

type Koffi = typeof import("koffi");

function loadKoffi(): Koffi {
  // Resolved from the application first (koffi is the app's dependency), then from here.
  const attempts = [`${process.cwd()}/`, import.meta.url];
  let last: unknown;
  for (const base of attempts) {
    try {
      return createRequire(base)("koffi") as Koffi;
    } catch (err) {
      last = err;
    }
  }
  throw Object.assign(
    new Error(
      "entra-auth needs the npm package koffi to call native libraries on Node: npm install koffi",
    ),
    { cause: last, code: "ERR_KOFFI_MISSING" },
  );
}

const koffi: Koffi = loadKoffi();

function toKoffi(type: NativeType | CallbackParameterType): string {
  switch (type) {
    case "string":
    case "wstring":
      return "void *";
    case "void":
      return "void";
    case "bool":
      return "bool";
    case "i32":
      return "int32_t";
    case "u32":
      return "uint32_t";
    case "i64":
      return "int64_t";
    case "u64":
      return "uint64_t";
    case "f64":
      return "double";
    case "pointer":
    case "function":
    case "buffer":
      return "void *";
  }
}

function normalizer(
  type: NativeType | CallbackParameterType,
): ((v: unknown) => unknown) | undefined {
  switch (type) {
    case "string":
      // koffi blocks the native caller until the queued JavaScript call returns: decode now.
      return (
        v,
      ) => (v === null || v === undefined ? null : backend.readCString(BigInt(v as bigint)));
    case "wstring":
      return (
        v,
      ) => (v === null || v === undefined ? null : readWideString(backend, BigInt(v as bigint)));
    case "pointer":
    case "function":
      return (v) => (v === null || v === undefined ? 0n : BigInt(v as bigint));
    case "i64":
    case "u64":
      return (v) => (typeof v === "bigint" ? v : BigInt(v as number));
    default:
      return undefined;
  }
}

let protoCount = 0;

class KoffiCallback extends TimerHeldCallback {
  readonly pointer: bigint;
  #registered: bigint | undefined;

  constructor(definition: CallbackDefinition, fn: (...args: never[]) => void) {
    super();
    const normalizers = definition.parameters.map(normalizer);
    const proto = koffi.proto(
      `entra_auth_cb_${++protoCount}`,
      "void",
      definition.parameters.map(toKoffi),
    );
    const wrapped = (...args: unknown[]) => {
      for (let i = 0; i < args.length; i++) {
        const n = normalizers[i];
        if (n) args[i] = n(args[i]);
      }
      (fn as (...a: unknown[]) => void)(...args);
    };
    this.#registered = koffi.register(wrapped, koffi.pointer(proto));
    this.pointer = BigInt(this.#registered);
  }

  protected free(): void {
    const registered = this.#registered;
    this.#registered = undefined;
    if (registered !== undefined) koffi.unregister(registered);
  }
}

/** The Node (koffi) FFI backend. */
export const backend: FfiBackend = {
  runtime: "node",

  open<S extends SymbolTable>(path: string, symbols: S): NativeLibrary<S> {
    const lib = koffi.load(path);
    const bound: Record<string, unknown> = {};
    for (const [name, def] of Object.entries(symbols)) {
      let fn: (...a: unknown[]) => unknown;
      try {
        fn = lib.func(name, toKoffi(def.result), def.parameters.map(toKoffi)) as typeof fn;
      } catch (err) {
        if (def.optional) {
          bound[name] = undefined;
          continue;
        }
        lib.unload();
        throw err;
      }
      const normalizeResult = normalizer(def.result);
      const normalize = normalizeResult ?? ((v: unknown) => v);
      if (!normalizeResult && !def.nonblocking) {
        bound[name] = fn;
      } else if (def.nonblocking) {
        // koffi runs .async calls on a worker thread and calls back on the JavaScript thread.
        const asyncFn = (fn as unknown as { async: (...a: unknown[]) => void; }).async;
        bound[name] = (...args: unknown[]) =>
          new Promise((resolve, reject) =>
            asyncFn(
              ...args,
              (err: unknown, res: unknown) => (err ? reject(err) : resolve(normalize(res))),
            )
          );
      } else {
        bound[name] = (...args: unknown[]) => normalize(fn(...args));
      }
    }
    return { path, symbols: bound as BoundSymbols<S>, close: () => lib.unload() };
  },

  callback(definition: CallbackDefinition, fn: (...args: never[]) => void): NativeCallback {
    return new KoffiCallback(definition, fn);
  },

  readCString(address: bigint): string | null {
    if (address === 0n) return null;
    return koffi.decode(address, "char", -1) as string;
  },

  readBytes(address: bigint, length: number): Uint8Array {
    if (address === 0n || length === 0) return new Uint8Array(0);
    return new Uint8Array(koffi.view(address, length).slice(0));
  },
};

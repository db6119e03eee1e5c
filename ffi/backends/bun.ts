/**
 * The Bun backend: `bun:ffi`'s `dlopen` and thread-safe `JSCallback`.
 *
 * Pointers travel as `u64`, so every address is a `bigint` on the JavaScript side as in the
 * other backends. Bun does not keep the process alive for a pending callback: a referenced
 * timer does that while a call is outstanding.
 *
 * Bun delivers a thread-safe callback after the native caller has already returned, so a
 * `const char*` argument may be gone by then. For callbacks with `"string"` parameters this
 * backend compiles (with the TinyCC built into Bun, no system compiler) a small trampoline
 * that copies each string on the native thread and hands the copy to JavaScript, which frees
 * it after decoding.
 *
 * @module
 */

import type * as BunFfi from "bun:ffi";
import { writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { platform } from "node:os";
import { join } from "node:path";
import { withScratchFolder } from "../scratch_folder.ts";
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
import { callInWorker } from "./bun_worker_call.ts";
import { TimerHeldCallback } from "./keep_alive.ts";

// `bun:ffi` is loaded through `require` at run time, not by a static `import`: bundlers for
// Node (esbuild, webpack, rollup) would otherwise hoist `import "bun:ffi"` to the bundle's top,
// where Node refuses the `bun:` scheme at load (ERR_UNSUPPORTED_ESM_URL_SCHEME) even though
// this module only ever runs on Bun. `bun build` resolves the built-in either way.
const bunFfi = createRequire(import.meta.url)("bun:ffi") as typeof BunFfi;
const { cc, CString, dlopen, JSCallback: BunJSCallback, toArrayBuffer } = bunFfi;
const FFIType = bunFfi.FFIType;
type FFIType = BunFfi.FFIType;
type JSCallback = BunFfi.JSCallback;

function toBun(type: NativeType | CallbackParameterType): FFIType {
  switch (type) {
    case "void":
      return FFIType.void;
    case "bool":
      return FFIType.bool;
    case "i32":
      return FFIType.i32;
    case "u32":
      return FFIType.u32;
    case "i64":
      return FFIType.i64;
    case "u64":
    case "pointer":
    case "function":
    case "string":
    case "wstring":
      return FFIType.u64;
    case "f64":
      return FFIType.f64;
    case "buffer":
      return FFIType.ptr;
  }
}

const C_TYPES: Record<CallbackParameterType, string> = {
  bool: "_Bool",
  i32: "int",
  u32: "unsigned int",
  i64: "long long",
  u64: "unsigned long long",
  f64: "double",
  pointer: "void *",
  function: "void *",
  string: "const char *",
  wstring: "const unsigned short *",
};

interface CopyingTrampoline {
  pointer: bigint;
  free(address: bigint): void;
  close(): void;
}

let freeFn: ((address: bigint) => void) | undefined;

/** The C library's free(), to release the copies (calling TinyCC code from a callback crashes Bun). */
function libcFree(): (address: bigint) => void {
  if (freeFn) return freeFn;
  const names = platform() === "darwin"
    ? ["/usr/lib/libSystem.B.dylib"]
    : platform() === "win32"
    ? ["msvcrt.dll"]
    : ["libc.so.6"];
  const lib = dlopen(names[0], {
    free: { args: [FFIType.u64], returns: FFIType.void },
    malloc: { args: [FFIType.u64], returns: FFIType.u64 },
  });
  freeFn = (address) => lib.symbols.free(address);
  mallocAddress = BigInt((lib.symbols.malloc as unknown as { ptr: number; }).ptr);
  return freeFn;
}

let mallocAddress = 0n;

/**
 * The C library's malloc() (the one whose free() releases the copies): TinyCC code calling
 * `malloc` by name gets Bun's own allocator instead, which the C library cannot free.
 */
function libcMalloc(): bigint {
  libcFree();
  return mallocAddress;
}

/** Compiles a trampoline that strdup()s each string argument before calling `sink`. */
function copyingTrampoline(
  parameters: readonly CallbackParameterType[],
  sink: bigint,
): CopyingTrampoline {
  const params = parameters.map((t, i) => `${C_TYPES[t]} a${i}`).join(", ");
  const sinkParams = parameters.map((t) =>
    t === "string" ? "char *" : t === "wstring" ? "unsigned short *" : C_TYPES[t]
  ).join(", ");
  const args = parameters.map((t, i) =>
    t === "string"
      ? `(a${i} ? strdup(a${i}) : 0)`
      : t === "wstring"
      ? `(a${i} ? entra_wdup(a${i}) : 0)`
      : `a${i}`
  ).join(", ");
  const source = [
    "extern char *strdup(const char *);",
    "typedef void *(*entra_malloc)(unsigned long long);",
    "static entra_malloc libc_malloc;",
    "void entra_set_malloc(entra_malloc m) { libc_malloc = m; }",
    // UTF-16 (os_char on Windows), copied whole: strdup would stop at the first zero byte.
    "static unsigned short *entra_wdup(const unsigned short *s) {",
    "  unsigned long long n = 0, i; unsigned short *d;",
    "  while (s[n]) n++;",
    "  d = libc_malloc((n + 1) * 2);",
    "  if (d) for (i = 0; i <= n; i++) d[i] = s[i];",
    "  return d;",
    "}",
    `typedef void (*entra_sink)(${sinkParams});`,
    "static entra_sink sink;",
    "void entra_set_sink(entra_sink s) { sink = s; }",
    `void entra_trampoline(${params}) { sink(${args}); }`,
  ].join("\n");
  // The compiled code lives in memory: the source file's folder may go (if it can) at once.
  return withScratchFolder("entra-auth-bun-", (dir) => {
    const file = join(dir, "trampoline.c");
    writeFileSync(file, source);
    const compiled = cc({
      source: file,
      symbols: {
        entra_set_sink: { args: [FFIType.u64], returns: FFIType.void },
        entra_set_malloc: { args: [FFIType.u64], returns: FFIType.void },
        entra_trampoline: { args: parameters.map(toBun), returns: FFIType.void },
      },
    });
    compiled.symbols.entra_set_sink(sink);
    compiled.symbols.entra_set_malloc(libcMalloc());
    const ptr = (compiled.symbols.entra_trampoline as unknown as { ptr: number; }).ptr;
    return {
      pointer: BigInt(ptr),
      free: (address: bigint) => libcFree()(address),
      close: () => compiled.close(),
    };
  });
}

/**
 * Compiled trampolines are never released: native code may keep their address (a logger
 * registered for the life of the process), and freeing TinyCC's code under it would crash.
 */
const retainedTrampolines: CopyingTrampoline[] = [];

class BunCallback extends TimerHeldCallback {
  readonly pointer: bigint;
  #callback: JSCallback | undefined;

  constructor(definition: CallbackDefinition, fn: (...args: never[]) => void) {
    super();
    const strings = definition.parameters.map((t) => t === "string" || t === "wstring");
    const wide = definition.parameters.map((t) => t === "wstring");
    const needsCopy = strings.includes(true);
    let trampoline: CopyingTrampoline | undefined;
    const target = needsCopy
      ? (...args: unknown[]) => {
        for (let i = 0; i < args.length; i++) {
          if (!strings[i]) continue;
          const address = BigInt((args[i] as number | null) ?? 0);
          args[i] = wide[i] ? readWideString(backend, address) : backend.readCString(address);
          if (address !== 0n) trampoline?.free(address);
        }
        (fn as (...a: unknown[]) => void)(...args);
      }
      : (fn as (...args: unknown[]) => void);
    // threadsafe: true is required; without it a call from another thread never runs.
    this.#callback = new BunJSCallback(target, {
      args: definition.parameters.map((t) =>
        t === "string" || t === "wstring" ? FFIType.ptr : toBun(t)
      ),
      returns: FFIType.void,
      threadsafe: true,
    });
    const ptr = this.#callback.ptr;
    if (ptr === null) throw new Error("bun:ffi returned a null callback pointer");
    if (needsCopy) {
      trampoline = copyingTrampoline(definition.parameters, BigInt(ptr));
      retainedTrampolines.push(trampoline);
      this.pointer = trampoline.pointer;
    } else {
      this.pointer = BigInt(ptr);
    }
  }

  protected free(): void {
    const cb = this.#callback;
    this.#callback = undefined;
    cb?.close();
  }
}

/** The Bun FFI backend. */
export const backend: FfiBackend = {
  runtime: "bun",

  open<S extends SymbolTable>(path: string, symbols: S): NativeLibrary<S> {
    const wanted: Record<string, { args: FFIType[]; returns: FFIType; }> = {};
    const missing = new Set<string>();
    for (const [name, def] of Object.entries(symbols)) {
      wanted[name] = { args: def.parameters.map(toBun), returns: toBun(def.result) };
    }
    let lib: ReturnType<typeof dlopen>;
    for (;;) {
      try {
        lib = dlopen(path, wanted);
        break;
      } catch (err) {
        // Bun fails the whole dlopen on one absent symbol; drop optional ones and retry.
        const name = Object.keys(wanted).find((n) =>
          symbols[n].optional && String((err as Error).message).includes(n)
        );
        if (!name) throw err;
        delete wanted[name];
        missing.add(name);
      }
    }
    const bound: Record<string, unknown> = {};
    for (const [name, def] of Object.entries(symbols)) {
      const fn = missing.has(name)
        ? undefined
        : (lib.symbols[name] as unknown as (...a: unknown[]) => unknown);
      // Bun's thread-safe callbacks never make the native thread wait, so a blocking call
      // cannot deadlock against one: "nonblocking" calls run inline, unless they may block
      // for long by themselves ("mayBlock"): those run in a Worker.
      if (fn && def.nonblocking && def.mayBlock) {
        const args = def.parameters.map(toBun);
        const returns = toBun(def.result);
        bound[name] = (...argv: unknown[]) => callInWorker(path, name, args, returns, argv);
        continue;
      }
      bound[name] = fn && def.nonblocking
        ? (...args: unknown[]) => {
          try {
            return Promise.resolve(fn(...args));
          } catch (err) {
            return Promise.reject(err);
          }
        }
        : fn;
    }
    return { path, symbols: bound as BoundSymbols<S>, close: () => lib.close() };
  },

  callback(definition: CallbackDefinition, fn: (...args: never[]) => void): NativeCallback {
    return new BunCallback(definition, fn);
  },

  readCString(address: bigint): string | null {
    if (address === 0n) return null;
    return new CString(Number(address) as never).toString();
  },

  readBytes(address: bigint, length: number): Uint8Array {
    if (address === 0n || length === 0) return new Uint8Array(0);
    return new Uint8Array(toArrayBuffer(Number(address) as never, 0, length).slice(0));
  },
};

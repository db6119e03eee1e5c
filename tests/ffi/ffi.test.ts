/**
 * The FFI layer against the C test library (tests/native/fftest.c), in whichever runtime runs
 * the suite: Deno (Deno.dlopen), Bun (bun:ffi) or Node (koffi).
 */

import assert from "node:assert/strict";
import process from "node:process";
import { after, before, describe, it } from "node:test";
import { CompletionRouter } from "../../ffi/completion.ts";
import { openLibrary } from "../../ffi/library.ts";
import { currentRuntime, loadBackend } from "../../ffi/runtime.ts";
import { decodeString, encodeString, readSizedString } from "../../ffi/strings.ts";
import type { FfiBackend, NativeLibrary } from "../../ffi/types.ts";
import { NativeLibraryError, NativeTimeoutError } from "../../src/errors.ts";
import { runFixture } from "../support/fixtures.ts";
import { fftestSymbols, nativeTestLibraries } from "../support/native.ts";

const paths = nativeTestLibraries();
/** Under Windows (scripts/wine/run.sh) the test libraries are DLLs built with mingw-w64. */
const windows = process.platform === "win32";
let ffi: FfiBackend;
let lib: NativeLibrary<typeof fftestSymbols>;
let s: NativeLibrary<typeof fftestSymbols>["symbols"];

before(async () => {
  ffi = await loadBackend();
  lib = await openLibrary(paths.fftest, fftestSymbols);
  s = lib.symbols;
});

after(() => {
  // The library stays loaded: threads abandoned by the timeout tests may still be inside it.
  s.ft_release_hung();
});

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function until(predicate: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error("condition not reached in time");
    await sleep(5);
  }
}

function createObject(name: string, value: number): bigint {
  const out = new BigUint64Array(1);
  const err = s.ft_obj_create(encodeString(name, "utf8"), value, out);
  assert.equal(err, 0n);
  assert.notEqual(out[0], 0n);
  return out[0];
}

function objectName(obj: bigint, initialUnits?: number): string {
  return readSizedString("utf8", (buf, size) => {
    const err = s.ft_obj_get_name(obj, buf ?? new Uint8Array(0), size);
    if (err === 0n) return true;
    const status = s.ft_err_status(err);
    s.ft_err_release(err);
    if (status !== 10) throw new Error(`status ${status}`);
    return false;
  }, initialUnits);
}

describe("the runtime backend", () => {
  it("is the one for the running runtime", () => {
    assert.equal(ffi.runtime, currentRuntime());
    const g = globalThis as Record<string, unknown>;
    const expected = g.Deno ? "deno" : g.Bun ? "bun" : "node";
    assert.equal(ffi.runtime, expected);
  });
});

describe("scalars", () => {
  it("passes and returns int32, uint32, int64, uint64, double and bool", () => {
    assert.equal(s.ft_add_i32(2, -5), -3);
    assert.equal(s.ft_add_i32(0x7fffffff, 1), -0x80000000);
    assert.equal(s.ft_add_u32(0xffffffff, 2), 1);
    assert.equal(s.ft_add_i64(2n ** 62n, -(2n ** 61n)), 2n ** 61n);
    assert.equal(s.ft_add_i64(-5n, 2n), -3n);
    assert.equal(s.ft_add_u64(2n ** 63n, 5n), 2n ** 63n + 5n);
    assert.equal(s.ft_scale(1.5, -4), -6);
    assert.equal(s.ft_negate(true), false);
    assert.equal(s.ft_negate(false), true);
  });

  it("returns 64-bit values as bigint even when small", () => {
    assert.equal(typeof s.ft_add_i64(1n, 1n), "bigint");
    assert.equal(typeof s.ft_thread_id(), "bigint");
  });
});

describe("handles and out-parameters", () => {
  it("creates a handle through T**, reads int32*, int64* and bool* out-parameters, releases it", () => {
    const live = s.ft_live_objects();
    const obj = createObject("counter", 7);
    assert.equal(s.ft_live_objects(), live + 1);
    const i32 = new Int32Array(1);
    const i64 = new BigInt64Array(1);
    const positive = new Uint8Array(1);
    assert.equal(s.ft_obj_get_values(obj, i32, i64, positive), 0n);
    assert.equal(i32[0], 7);
    assert.equal(i64[0], 70_000_000_000n);
    assert.equal(positive[0], 1);
    s.ft_obj_release(obj);
    assert.equal(s.ft_live_objects(), live);
  });

  it("reports errors through an error handle that is released", () => {
    const errors = s.ft_live_errors();
    const nullName = s.ft_obj_create(null, 1, new BigUint64Array(1));
    assert.equal(s.ft_err_status(nullName), 6);
    s.ft_err_release(nullName);
    const bad = s.ft_obj_get_name(0n, new Uint8Array(4), new Int32Array([4]));
    assert.notEqual(bad, 0n);
    assert.equal(s.ft_err_status(bad), 6);
    assert.equal(s.ft_live_errors(), errors + 1);
    s.ft_err_release(bad);
    assert.equal(s.ft_live_errors(), errors);
  });

  it("binds an absent optional symbol as undefined", () => {
    assert.equal(s.ft_not_exported, undefined);
  });
});

describe("strings", () => {
  const samples = ["", "plain", "accents: é à ü", "emoji: 🔐🪪", "cjk: 認証", "x".repeat(5000)];

  it("round-trips UTF-8 in and out through the sized getter", () => {
    const errors = s.ft_live_errors();
    for (const text of samples) {
      const obj = createObject(text, 1);
      assert.equal(objectName(obj), text);
      assert.equal(objectName(obj, 0), text, "asking for the size first");
      assert.equal(objectName(obj, 1), text, "starting too small");
      s.ft_obj_release(obj);
    }
    assert.equal(s.ft_live_errors(), errors, "every InsufficientBuffer error released");
  });

  it("round-trips UTF-16 (wchar_t) in and out through the sized getter", () => {
    for (const text of samples) {
      const out = new BigUint64Array(1);
      assert.equal(s.ft_obj_create_w(encodeString(text, "utf16"), 1, out), 0n);
      const name = readSizedString("utf16", (buf, size) => {
        const err = s.ft_obj_get_name_w(out[0], buf ?? new Uint16Array(0), size);
        if (err === 0n) return true;
        s.ft_err_release(err);
        return false;
      }, 2);
      assert.equal(name, text);
      // Crossing encodings proves the C side saw real UTF-16 code units.
      assert.equal(objectName(out[0]), text);
      s.ft_obj_release(out[0]);
    }
  });

  it("reads a returned const char* and a NULL one", () => {
    assert.equal(ffi.readCString(s.ft_static_string()), "static ünicode ✓");
    assert.equal(s.ft_null_string(), 0n);
    assert.equal(ffi.readCString(s.ft_null_string()), null);
    const bytes = ffi.readBytes(s.ft_static_string(), 6);
    assert.equal(decodeString(bytes), "static");
  });

  it("encodes NUL-terminated UTF-8 and UTF-16", () => {
    assert.deepEqual([...encodeString("hé", "utf8")], [104, 195, 169, 0]);
    assert.deepEqual([...encodeString("h🔐", "utf16")], [104, 0xd83d, 0xdd10, 0]);
  });
});

describe("library loading", () => {
  it("names a missing file", async () => {
    const err = await openLibrary("/nonexistent/libnothere.so", fftestSymbols, {
      missingAdvice: "Run: npm install nothere",
    }).catch((e) => e);
    assert.ok(err instanceof NativeLibraryError);
    assert.equal(err.code, "native_library_missing");
    assert.match(err.message, /libnothere\.so.*npm install nothere/);
  });

  it("names a missing library searched by name", async () => {
    const err = await openLibrary(
      windows ? "entra-auth-nothere.dll" : "libentra-auth-nothere.so.9",
      {
        f: { parameters: [], result: "void" },
      },
    ).catch((e) => e);
    assert.ok(err instanceof NativeLibraryError);
    assert.equal(err.code, "native_library_missing");
  });

  it("names a missing dependency, not the library, when a dependency is absent", async () => {
    const err = await openLibrary(paths.needsMissingDependency, {
      ftneeds_value: { parameters: [], result: "i32" },
    }, { dependencyAdvice: (so) => `apt-get install ${so.replace(/\.(so|dll).*/, "")}` }).catch((
      e,
    ) => e);
    assert.ok(err instanceof NativeLibraryError, String(err));
    assert.equal(err.code, "native_dependency_missing");
    if (windows) {
      // Windows' loader says only "module not found" (error 126): the DLL's imports name it.
      assert.equal(err.missing, "ftdep.dll");
      assert.match(err.message, /ftneeds\.dll.*ftdep\.dll.*apt-get install ftdep/);
    } else {
      assert.equal(err.missing, "libftdep.so.1");
      assert.match(err.message, /libftneeds\.so.*libftdep\.so\.1.*apt-get install libftdep/);
    }
  });

  it("names a missing required symbol", async () => {
    const err = await openLibrary(paths.fftest, {
      ft_add_i32: { parameters: ["i32", "i32"], result: "i32" },
      ft_does_not_exist: { parameters: [], result: "void" },
    }).catch((e) => e);
    assert.ok(err instanceof NativeLibraryError, String(err));
    assert.equal(err.code, "native_symbol_missing");
    assert.equal(err.missing, "ft_does_not_exist");
  });

  it("opens a system library by name", async () => {
    if (windows) {
      const k32 = await openLibrary("kernel32.dll", {
        GetCurrentProcessId: { parameters: [], result: "u32" },
      });
      assert.ok(k32.symbols.GetCurrentProcessId() > 0);
      return;
    }
    const libc = await openLibrary("libc.so.6", { getpid: { parameters: [], result: "i32" } });
    assert.ok(libc.symbols.getpid() > 0);
  });
});

describe("callbacks from native threads", () => {
  it("delivers a completion from a pthread on the JavaScript thread and releases it", async () => {
    const router = new CompletionRouter(ffi, (r) => s.ft_obj_release(r));
    const live = s.ft_live_objects();
    const jsThread = s.ft_thread_id();
    let threadInCallback = 0n;
    const obj = await router.start("ft_async_create", { timeoutMs: 5_000 }, (cb, id) => {
      assert.equal(s.ft_async_create(encodeString("from a thread", "utf8"), 3, 20, cb, id), 0n);
    });
    threadInCallback = s.ft_thread_id();
    assert.equal(threadInCallback, jsThread);
    assert.equal(objectName(obj), "from a thread");
    s.ft_obj_release(obj);
    assert.equal(s.ft_live_objects(), live);
    assert.equal(router.pending, 0);
    router.close();
  });

  it("routes 200 concurrent completions to their own callers", async () => {
    const router = new CompletionRouter(ffi, (r) => s.ft_obj_release(r));
    const live = s.ft_live_objects();
    const calls = Array.from(
      { length: 200 },
      (_, i) =>
        router.start("ft_async_create", { timeoutMs: 10_000 }, (cb, id) => {
          const err = s.ft_async_create(encodeString(`call ${i}`, "utf8"), i, i % 17, cb, id);
          assert.equal(err, 0n);
        }),
    );
    assert.equal(router.pending, 200);
    const results = await Promise.all(calls);
    results.forEach((obj, i) => {
      const value = new Int32Array(1);
      s.ft_obj_get_values(obj, value, new BigInt64Array(1), new Uint8Array(1));
      assert.equal(value[0], i);
      assert.equal(objectName(obj), `call ${i}`);
      s.ft_obj_release(obj);
    });
    assert.equal(s.ft_live_objects(), live, "every result handle released");
    assert.equal(router.pending, 0);
    router.close();
  });

  it("rejects a call that never completes with a timeout, then releases its late result", async () => {
    const router = new CompletionRouter(ffi, (r) => s.ft_obj_release(r));
    const live = s.ft_live_objects();
    let abandonedId = 0n;
    const started = Date.now();
    const err = await router.start("hung call", {
      timeoutMs: 150,
      onAbandon: (id) => (abandonedId = id),
    }, (cb, id) => {
      assert.equal(s.ft_async_hang(encodeString("late", "utf8"), cb, id), 0n);
    }).catch((e) => e);
    assert.ok(err instanceof NativeTimeoutError, String(err));
    assert.equal(err.operation, "hung call");
    assert.ok(Date.now() - started < 2_000);
    assert.notEqual(abandonedId, 0n);
    assert.equal(router.pending, 0);
    assert.equal(router.abandoned, 1);
    s.ft_release_hung();
    await until(() => router.abandoned === 0);
    assert.equal(s.ft_live_objects(), live, "the late result was released, not leaked");
    router.close();
  });

  it("abandons a call when its AbortSignal fires", async () => {
    const router = new CompletionRouter(ffi, (r) => s.ft_obj_release(r));
    const controller = new AbortController();
    const live = s.ft_live_objects();
    const call = router.start(
      "aborted",
      { timeoutMs: 5_000, signal: controller.signal },
      (cb, id) => {
        assert.equal(s.ft_async_create(encodeString("x", "utf8"), 1, 200, cb, id), 0n);
      },
    );
    controller.abort(new Error("stop"));
    await assert.rejects(call, /stop/);
    await until(() => router.abandoned === 0);
    assert.equal(s.ft_live_objects(), live);
    router.close();
  });

  it("expects no completion when the native call fails synchronously", async () => {
    const router = new CompletionRouter(ffi, (r) => s.ft_obj_release(r));
    await assert.rejects(
      router.start("sync failure", { timeoutMs: 5_000 }, () => {
        throw new Error("status 6");
      }),
      /status 6/,
    );
    assert.equal(router.pending, 0);
    assert.equal(router.abandoned, 0);
    router.close();
  });

  it("expects no completion when an asynchronous native call fails, without unhandled rejections", async () => {
    const router = new CompletionRouter(ffi, (r) => s.ft_obj_release(r));
    await assert.rejects(
      router.start("async failure", { timeoutMs: 5_000 }, async () => {
        await sleep(5);
        throw new Error("status 6 later");
      }),
      /status 6 later/,
    );
    await sleep(20); // an unhandled rejection would surface (and fail the run) by now
    assert.equal(router.pending, 0);
    assert.equal(router.abandoned, 0);
    router.close();
  });

  it("reports the late completion of an abandoned call", async () => {
    const router = new CompletionRouter(ffi, (r) => s.ft_obj_release(r));
    let late = 0;
    const err = await router.start("late", {
      timeoutMs: 50,
      onLateCompletion: () => late++,
    }, (cb, id) => {
      assert.equal(s.ft_async_create(encodeString("late", "utf8"), 1, 200, cb, id), 0n);
    }).catch((e) => e);
    assert.ok(err instanceof NativeTimeoutError);
    await until(() => late === 1);
    assert.equal(router.abandoned, 0);
    router.close();
  });

  it("gives string arguments to a thread-safe callback before the native side reuses them", async () => {
    const received: string[] = [];
    const callback = ffi.callback(
      { parameters: ["string", "i32", "pointer"], result: "void" },
      ((message: string | null, index: number) => {
        received[index] = message ?? "<null>";
      }) as (...args: never[]) => void,
    );
    callback.ref();
    assert.equal(
      s.ft_emit_messages(encodeString("log line é", "utf8"), 20, callback.pointer, 0n),
      0n,
    );
    await until(() => received.filter(Boolean).length === 20);
    assert.deepEqual(received, Array(20).fill("log line é"));
    s.ft_emit_sync(encodeString("on the calling thread", "utf8"), callback.pointer, 0n);
    await until(() => received[0] === "on the calling thread");
    callback.unref();
    await until(() => s.ft_threads_in_flight() === 0);
    callback.close();
  });
});

describe("UTF-16 callback strings (wstring)", () => {
  it("gives whole UTF-16 strings to a thread-safe callback, even ones spanning memory pages", async () => {
    // MSALRuntime's log lines are os_char* (UTF-16) on Windows: read as UTF-8 they were one
    // character long.
    const long = "ligne de journal é 🔐 ".repeat(300); // 6600 UTF-16 units: several pages
    for (const text of ["log line é 🔐", "", long]) {
      const received: string[] = [];
      const callback = ffi.callback(
        { parameters: ["wstring", "i32", "pointer"], result: "void" },
        ((message: string | null, index: number) => {
          received[index] = message ?? "<null>";
        }) as (...args: never[]) => void,
      );
      callback.ref();
      assert.equal(s.ft_emit_messages_w(encodeString(text, "utf16"), 10, callback.pointer, 0n), 0n);
      await until(() => received.filter((m) => m !== undefined).length === 10);
      assert.deepEqual(received, Array(10).fill(text));
      callback.unref();
      await until(() => s.ft_threads_in_flight() === 0);
      callback.close();
    }
  });
});

describe("process lifetime", () => {
  it("keeps the process alive while a completion is pending, then exits cleanly", async () => {
    // Several runs: exiting while the native thread is still inside the library crashes
    // only some of the time when the library is not pinned.
    for (let round = 0; round < 3; round++) {
      const results = await Promise.all([1, 2, 3, 4].map(() => runFixture("ffi_pending_call")));
      for (const result of results) {
        assert.equal(result.signal, null, result.stderr);
        assert.equal(result.code, 0, `exit ${result.code}: ${result.stderr}`);
        assert.match(result.stdout, /completed keepalive live=0/);
      }
    }
  });

  it("does not free the callback when closed before a pending call fires", async () => {
    const result = await runFixture("ffi_pending_call", ["close-early"]);
    assert.equal(result.signal, null, result.stderr);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /completed close-early live=0/);
  });
});

/**
 * FFI overhead in the running runtime, through entra-auth's FFI layer and the C test
 * library: a trivial C call, and a completion round trip through a native thread. Prints one
 * JSON line. Run by bench/ffi/run.sh in Deno, Bun and Node in the same run.
 */

import { CompletionRouter } from "../../ffi/completion.ts";
import { openLibrary } from "../../ffi/library.ts";
import { loadBackend } from "../../ffi/runtime.ts";
import { encodeString } from "../../ffi/strings.ts";
import { fftestSymbols, nativeTestLibraries } from "../../tests/support/native.ts";

const ffi = await loadBackend();
const lib = await openLibrary(nativeTestLibraries().fftest, fftestSymbols);
const s = lib.symbols;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

// A trivial call: int32_t ft_add_i32(int32_t, int32_t).
const CALLS = 1_000_000;
const callSamples: number[] = [];
let sink = 0;
for (let round = 0; round < 7; round++) {
  const t0 = performance.now();
  for (let i = 0; i < CALLS; i++) sink += s.ft_add_i32(i, 1);
  callSamples.push(((performance.now() - t0) * 1e6) / CALLS);
}

// A handle-returning call with a 64-bit out-parameter: create + release.
const handleSamples: number[] = [];
const name = encodeString("h", "utf8");
const out = new BigUint64Array(1);
for (let round = 0; round < 7; round++) {
  const t0 = performance.now();
  for (let i = 0; i < 100_000; i++) {
    s.ft_obj_create(name, i, out);
    s.ft_obj_release(out[0]);
  }
  handleSamples.push(((performance.now() - t0) * 1e6) / 100_000);
}

// A completion round trip: native thread created, callback delivered on the JS thread.
const router = new CompletionRouter(ffi, (r) => s.ft_obj_release(r));
const ROUND_TRIPS = 2_000;
const tripSamples: number[] = [];
for (let round = 0; round < 5; round++) {
  const t0 = performance.now();
  for (let i = 0; i < ROUND_TRIPS; i++) {
    const obj = await router.start("bench", { timeoutMs: 10_000 }, (cb, id) => {
      s.ft_async_create(name, i, 0, cb, id);
    });
    s.ft_obj_release(obj);
  }
  tripSamples.push(((performance.now() - t0) * 1e6) / ROUND_TRIPS);
}
router.close();

console.log(JSON.stringify({
  runtime: ffi.runtime,
  trivialCallNs: median(callSamples),
  handleCreateReleaseNs: median(handleSamples),
  callbackRoundTripNs: median(tripSamples),
  check: sink > 0,
}));

/**
 * What both sides of the broker benchmark share: the app's settings, the counts, the timing
 * loop, the emulator's request counter, and the JSON line each run prints. Each side only
 * supplies "sign in" and "one silent call" (bench/broker/ours.ts, bench/broker/addon.ts), so
 * both are timed by exactly the same code.
 */

import process from "node:process";
import type { Breakdown, Profiler } from "./profile.ts";

/** The app: the Azure CLI's public client id, as in the emulator's captured samples. */
export const CLIENT_ID = "04b07795-8ddb-461a-bbee-02f9e1bf7b46";
/** The authority every call uses. */
export const AUTHORITY = "https://login.microsoftonline.com/organizations";
/** The broker redirect URI on Linux. */
export const REDIRECT_URI = "https://login.microsoftonline.com/common/oauth2/nativeclient";
/** The scope of the sign-in and of the cached silent calls. */
export const SCOPE = "https://graph.microsoft.com/.default";
/** The emulator's default signed-in user. */
export const EXPECTED_USER = "testuser@contoso.example";

function count(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? "");
  return Number.isInteger(value) && value > 0 ? value : fallback;
}

/** Counts; each can be lowered through the environment for a quick run. */
export const COUNTS: {
  warmup: number;
  roundTrips: number;
  cached: number;
  sampleEvery: number;
} = {
  warmup: count("BENCH_BROKER_WARMUP", 20),
  roundTrips: count("BENCH_BROKER_ROUND_TRIPS", 200),
  cached: count("BENCH_BROKER_CACHED", 10_000),
  sampleEvery: count("BENCH_BROKER_SAMPLE_EVERY", 1_000),
};

/**
 * How a round trip is forced past MSALRuntime's own cache: `renew` passes the last access
 * token as AccessTokenToRenew for the same scope (the cache does not grow); `scope` asks for
 * a scope nobody asked for before (`api://bench-<run>-<n>/.default`; the cache grows by one
 * token per call, in a keyring all sides share).
 */
export type RoundTripMode = "renew" | "scope";

/** Command-line options of a side. */
export interface BenchArgs {
  /** `--api NAME`: which API of the side. */
  api: string;
  /** `--round-trip renew|scope`. */
  mode: RoundTripMode;
  /** `--profile`: break each call down (slower; see profile.ts). */
  profile: boolean;
  /** `--log`: register a (no-op) MSALRuntime log callback, as an app that wants broker logs. */
  log: boolean;
}

/** Parses a side's command line. */
export function parseArgs(apis: readonly string[]): BenchArgs {
  const args = process.argv.slice(2);
  const value = (flag: string) => {
    const i = args.indexOf(flag);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const api = value("--api") ?? apis[0];
  const mode = value("--round-trip") ?? "renew";
  if (!apis.includes(api)) throw new Error(`--api must be one of ${apis.join(", ")}`);
  if (mode !== "renew" && mode !== "scope") throw new Error("--round-trip must be renew or scope");
  return { api, mode, profile: args.includes("--profile"), log: args.includes("--log") };
}

/** One side under test. */
export interface Side {
  /** `ours` or `addon`. */
  side: string;
  /** Which API of that side: `binding`, `pca`, … */
  api: string;
  /** SignInSilently with the default OS account; returns the username and the access token. */
  signIn(): Promise<{ username: string; accessToken: string; }>;
  /**
   * AcquireTokenSilently for the signed-in account; returns the access token.
   *
   * @param scope the scope to ask for
   * @param renew an access token to renew (forces a broker round trip)
   */
  silent(scope: string, renew?: string): Promise<string>;
  /** Releases the side's resources at the end. */
  close(): Promise<void>;
  /** With `--profile`: the per-call breakdown. */
  profiler?: Profiler;
}

/** Median and 90th percentile (ms) of a set of per-call times. */
export interface Summary {
  n: number;
  medianMs: number;
  p90Ms: number;
  meanMs: number;
  minMs: number;
  maxMs: number;
}

/** Summarizes per-call times. */
export function summarize(samples: readonly number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  const round = (v: number) => Math.round(v * 1000) / 1000;
  return {
    n: sorted.length,
    medianMs: round(at(0.5)),
    p90Ms: round(at(0.9)),
    meanMs: round(sorted.reduce((s, v) => s + v, 0) / sorted.length),
    minMs: round(sorted[0]),
    maxMs: round(sorted[sorted.length - 1]),
  };
}

/** How many requests the broker emulator has received so far (all methods). */
export async function brokerRequestCount(): Promise<number | undefined> {
  const url = process.env.ENTRA_AUTH_BROKER_EMULATOR_URL;
  if (!url) return undefined;
  const res = await fetch(`${url}/requests`);
  const body = await res.json() as { requests?: unknown[]; };
  return body.requests?.length;
}

/** The runtime this process is, by its globals. */
export function runtimeName(): string {
  const g = globalThis as { Deno?: { version: { deno: string; }; }; Bun?: { version: string; }; };
  if (g.Deno) return `deno ${g.Deno.version.deno}`;
  if (g.Bun) return `bun ${g.Bun.version}`;
  return `node ${process.versions.node}`;
}

function rssMb(): number {
  return Math.round(process.memoryUsage().rss / 1024 / 1024 * 10) / 10;
}

/** Forces a full garbage collection when the runtime exposes it (node/deno --expose-gc, Bun). */
function collectGarbage(): boolean {
  const g = globalThis as { gc?: () => void; Bun?: { gc(force: boolean): void; }; };
  if (g.Bun) {
    g.Bun.gc(true);
    return true;
  }
  if (typeof g.gc === "function") {
    g.gc();
    return true;
  }
  return false;
}

/**
 * Runs the benchmark against one side and prints one JSON line: sign in, warm up, then the
 * broker round trip (every call reaches the broker: checked against the emulator's request
 * log) and the cached silent path (no call reaches it), with RSS sampled through the latter.
 */
export async function runBench(make: () => Promise<Side>, args: BenchArgs): Promise<void> {
  const { mode } = args;
  const t0 = performance.now();
  const side = await make();
  const signedIn = await side.signIn();
  const signInMs = performance.now() - t0;
  if (signedIn.username !== EXPECTED_USER) {
    throw new Error(`signed in as ${signedIn.username}, expected ${EXPECTED_USER}`);
  }
  const run = `${Date.now().toString(36)}-${process.pid}`;
  let n = 0;
  let last = signedIn.accessToken;
  const profiler = side.profiler;
  const silent = async (scope: string, renew?: string) => {
    profiler?.start();
    const token = await side.silent(scope, renew);
    profiler?.end();
    return token;
  };
  const roundTrip = async () => {
    n++;
    if (mode === "scope") return silent(`api://bench-${run}-${n}/.default`);
    last = await silent(SCOPE, last);
    return last;
  };
  const profile: Record<string, Breakdown> = {};

  // Warm-up: both paths, so that the JIT, the FFI stubs and the library's threads are ready.
  for (let i = 0; i < COUNTS.warmup; i++) await roundTrip();
  for (let i = 0; i < COUNTS.warmup * 10; i++) await silent(SCOPE);
  profiler?.take();

  // (1) The broker round trip.
  const before = await brokerRequestCount();
  const trips: number[] = [];
  for (let i = 0; i < COUNTS.roundTrips; i++) {
    const t = performance.now();
    const token = await roundTrip();
    trips.push(performance.now() - t);
    if (!token) throw new Error("empty access token");
  }
  const afterTrips = await brokerRequestCount();
  if (profiler) profile.roundTrip = profiler.take();

  // (2) The cached silent path, RSS sampled every `sampleEvery` calls (no GC forced).
  const cached: number[] = [];
  const rss: number[] = [rssMb()];
  for (let i = 1; i <= COUNTS.cached; i++) {
    const t = performance.now();
    const token = await silent(SCOPE);
    cached.push(performance.now() - t);
    if (!token) throw new Error("empty access token");
    if (i % COUNTS.sampleEvery === 0) rss.push(rssMb());
  }
  const afterCached = await brokerRequestCount();
  if (profiler) profile.cached = profiler.take();
  const gc = collectGarbage();
  const rssAfterGc = gc ? rssMb() : undefined;
  await side.close();

  const delta = (a?: number, b?: number) => a === undefined || b === undefined ? undefined : b - a;
  console.log(JSON.stringify({
    runtime: runtimeName(),
    side: side.side,
    api: side.api,
    roundTripMode: mode,
    log: args.log,
    profiled: args.profile,
    signInMs: Math.round(signInMs * 10) / 10,
    roundTrip: summarize(trips),
    cached: summarize(cached),
    brokerRequests: {
      roundTrip: delta(before, afterTrips),
      expectedRoundTrip: COUNTS.roundTrips,
      cached: delta(afterTrips, afterCached),
    },
    rssMb: {
      samples: rss,
      start: rss[0],
      end: rss[rss.length - 1],
      growth: Math.round((rss[rss.length - 1] - rss[0]) * 10) / 10,
      afterGc: rssAfterGc,
    },
    profile: profiler ? profile : undefined,
  }));
}

/**
 * Reads the JSON lines of bench/broker/run.sh on stdin and prints the table: per runtime and
 * side, median and p90 per call for the broker round trip and the cached silent path, the
 * ratio to the addon with the same API, and RSS over the cached calls. With several rounds,
 * each figure is the median over the rounds. Profiled runs get a second table.
 *
 * Run: node_modules/.bin/deno run --quiet bench/broker/table.ts < results.jsonl
 */

import process from "node:process";
import type { Summary } from "./common.ts";
import type { Breakdown } from "./profile.ts";

interface Row {
  runtime: string;
  side: string;
  api: string;
  roundTripMode: string;
  log: boolean;
  profiled: boolean;
  roundTrip: Summary;
  cached: Summary;
  brokerRequests: { roundTrip?: number; expectedRoundTrip: number; cached?: number; };
  rssMb: { start: number; end: number; growth: number; afterGc?: number; };
  profile?: { roundTrip?: Breakdown; cached?: Breakdown; };
}

const chunks: Uint8Array[] = [];
for await (const chunk of process.stdin) chunks.push(chunk as Uint8Array);
const text = new TextDecoder().decode(
  chunks.reduce((all, c) => {
    const out = new Uint8Array(all.length + c.length);
    out.set(all);
    out.set(c, all.length);
    return out;
  }, new Uint8Array(0)),
);
const rows: Row[] = text.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l));
if (rows.length === 0) {
  console.log("bench/broker: no results");
  process.exit(1);
}

const median = (values: number[]) => {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  return sorted.length ? sorted[Math.floor(sorted.length / 2)] : NaN;
};
const keyOf = (r: Row) => `${r.runtime}|${r.side}|${r.api}`;
const fmt = (v: number | undefined, digits = 2) =>
  v === undefined || !Number.isFinite(v) ? "-" : v.toFixed(digits);

/** The timed rows, grouped by runtime/side/api over rounds (median of each figure). */
function aggregate(group: Row[]) {
  const m = (f: (r: Row) => number | undefined) => median(group.map((r) => f(r) ?? NaN));
  return {
    runs: group.length,
    tripMedian: m((r) => r.roundTrip.medianMs),
    tripP90: m((r) => r.roundTrip.p90Ms),
    cachedMedian: m((r) => r.cached.medianMs),
    cachedP90: m((r) => r.cached.p90Ms),
    rssStart: m((r) => r.rssMb.start),
    rssEnd: m((r) => r.rssMb.end),
    rssGrowth: m((r) => r.rssMb.growth),
    rssAfterGc: m((r) => r.rssMb.afterGc),
    // Every round trip must have reached the broker, and no cached call.
    dbusOk: group.every((r) =>
      r.brokerRequests.roundTrip === r.brokerRequests.expectedRoundTrip
      && r.brokerRequests.cached === 0
    ),
  };
}

const timed = rows.filter((r) => !r.profiled);
const groups = new Map<string, Row[]>();
for (const r of timed) groups.set(keyOf(r), [...(groups.get(keyOf(r)) ?? []), r]);
const stats = new Map([...groups].map(([k, g]) => [k, { row: g[0], ...aggregate(g) }]));
const addonFor = (api: string) =>
  [...stats.values()].find((s) => s.row.side === "addon" && s.row.api === api);

const first = timed[0] ?? rows[0];
console.log(
  `broker round trip: ${first.roundTrip.n} calls (${first.roundTripMode}); cached silent path: `
    + `${first.cached.n} calls; MSALRuntime log callback: ${first.log ? "registered" : "none"}`,
);
const header = [
  "runtime / side / api".padEnd(32),
  "trip med".padStart(9),
  "trip p90".padStart(9),
  "x addon".padStart(8),
  "cache med".padStart(10),
  "cache p90".padStart(10),
  "x addon".padStart(8),
  "RSS start".padStart(10),
  "RSS end".padStart(8),
  "growth".padStart(7),
  "after GC".padStart(9),
  "D-Bus".padStart(6),
];
console.log(header.join(" "));
console.log(
  "(ms per call; ratio = median / addon median, same API; RSS in MB over the cached calls)",
);
for (const s of stats.values()) {
  const addon = addonFor(s.row.api);
  const ratio = (a: number, b?: number) => (b ? `${(a / b).toFixed(2)}x` : "-");
  console.log([
    `${s.row.runtime.split(" ")[0]} ${s.row.side} ${s.row.api}${s.runs > 1 ? ` (${s.runs})` : ""}`
      .padEnd(32),
    fmt(s.tripMedian).padStart(9),
    fmt(s.tripP90).padStart(9),
    ratio(s.tripMedian, addon?.tripMedian).padStart(8),
    fmt(s.cachedMedian, 3).padStart(10),
    fmt(s.cachedP90, 3).padStart(10),
    ratio(s.cachedMedian, addon?.cachedMedian).padStart(8),
    fmt(s.rssStart, 1).padStart(10),
    fmt(s.rssEnd, 1).padStart(8),
    fmt(s.rssGrowth, 1).padStart(7),
    fmt(s.rssAfterGc, 1).padStart(9),
    (s.dbusOk ? "ok" : "WRONG").padStart(6),
  ].join(" "));
}

const profiled = rows.filter((r) => r.profiled && r.profile);
if (profiled.length > 0) {
  console.log("\nwhere the time goes (instrumented runs; ms per call, mean):");
  console.log([
    "runtime / side / api / path".padEnd(36),
    "total".padStart(7),
    "before".padStart(7),
    "to cb".padStart(7),
    "after".padStart(7),
    "ffi n".padStart(6),
    "ffi ms".padStart(7),
    "off n".padStart(6),
    "off ms".padStart(7),
    "logs".padStart(6),
    "log ms".padStart(7),
  ].join(" "));
  for (const r of profiled) {
    for (const path of ["roundTrip", "cached"] as const) {
      const b = r.profile?.[path];
      if (!b) continue;
      console.log([
        `${r.runtime.split(" ")[0]} ${r.side} ${r.api} ${path}`.padEnd(36),
        fmt(b.beforeIssueMs + b.toCallbackMs + b.afterCallbackMs, 3).padStart(7),
        fmt(b.beforeIssueMs, 3).padStart(7),
        fmt(b.toCallbackMs, 3).padStart(7),
        fmt(b.afterCallbackMs, 3).padStart(7),
        fmt(b.inlineFfiCalls, 1).padStart(6),
        fmt(b.inlineFfiMs, 3).padStart(7),
        fmt(b.offThreadFfiCalls, 1).padStart(6),
        fmt(b.offThreadFfiMs, 3).padStart(7),
        fmt(b.logCallbacks, 1).padStart(6),
        fmt(b.logCallbackMs, 3).padStart(7),
      ].join(" "));
    }
  }
  console.log(
    "before: parameters built until the operation is issued; to cb: issue until the completion\n"
      + "callback runs in JavaScript; after: reading and releasing the result. ffi/off: blocking\n"
      + "and off-thread FFI calls per silent call and their time; logs: log callbacks run.",
  );
}

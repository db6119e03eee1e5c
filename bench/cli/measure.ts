/**
 * The command line's start-up (Node, compiled: npm/bench/cli/measure.js): `entra-auth token`
 * in a new process, served from the persistent cache (by the fast path: checked), on Deno,
 * Bun (the sources, and the npm package's bundled bin as `bunx` runs it), Node (the npm bin)
 * and the Bun single file, against the bare runtime's start (`-e ''`) and against msal-node
 * doing the same (a plain file cache, acquireTokenSilent, offline). Round-robin runs; medians
 * and the overhead over each runtime's own start.
 *
 * Usage: node npm/bench/cli/measure.js [runs]
 */

import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { repoPath } from "../../tests/support/paths.ts";
import {
  BENCH_CLIENT,
  BENCH_SCOPES,
  BENCH_TENANT,
  BENCH_USERNAME,
  fillBenchCache,
} from "../coldstart/common.ts";

const runs = Number(process.argv[2] ?? 15);
const dir = repoPath(".tmp", "bench-cli");
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });
const plain = join(dir, "cache.json");
// Ten accounts with tokens for a few scopes, as bench/coldstart.
await fillBenchCache(plain, { encryption: "plaintext" });
const msalFile = join(dir, "msal.json");
copyFileSync(plain, msalFile);

const deno = repoPath("node_modules", ".bin", "deno");
const bun = repoPath("node_modules", ".bin", "bun");
const bin = repoPath("src", "cli", "bin.ts");
// What `npx entra-auth` and `bunx entra-auth` run: the entra-auth package's bin, which loads
// the entra-auth-cli package's bundle (npm/node_modules/entra-auth-cli, as installed).
const binJs = repoPath("npm", "bin", "entra-auth.js");
const single = repoPath(".build", "entra-auth-bun");
// The JSR package as published (scripts/build_jsr.ts): what `deno run jsr:…/cli` runs.
const jsrBin = repoPath(".build", "jsr", "src", "cli", "bin.ts");
const args = (broker: string) => [
  "token",
  "--client-id",
  BENCH_CLIENT,
  "--authority",
  `https://login.microsoftonline.com/${BENCH_TENANT}`,
  "--account",
  BENCH_USERNAME,
  "--scope",
  BENCH_SCOPES[0],
  "--cache",
  "plaintext",
  "--cache-path",
  plain,
  "--broker",
  broker,
  "--no-interactive",
];

interface Contender {
  label: string;
  cmd: string[];
  /** The label of the bare start it is compared with. */
  bare?: string;
  check: RegExp;
}
const contenders: Contender[] = [
  { label: "node -e ''", cmd: ["node", "-e", ""], check: /^$/ },
  { label: "deno eval ''", cmd: [deno, "eval", ""], check: /^$/ },
  { label: "bun -e ''", cmd: [bun, "-e", "0"], check: /^$/ },
  {
    label: "msal-node script (Node)",
    cmd: ["node", repoPath("npm", "bench", "coldstart", "msal_node.js"), msalFile],
    bare: "node -e ''",
    check: /^\d+\n$/,
  },
  {
    label: "entra-auth token, Node",
    cmd: ["node", binJs, ...args("auto")],
    bare: "node -e ''",
    check: /^at-/,
  },
  {
    label: "entra-auth token, Deno (JSR package)",
    cmd: [deno, "run", "-A", "--quiet", jsrBin, ...args("auto")],
    bare: "deno eval ''",
    check: /^at-/,
  },
  {
    label: "entra-auth token, Deno (sources)",
    cmd: [deno, "run", "-A", "--quiet", bin, ...args("auto")],
    bare: "deno eval ''",
    check: /^at-/,
  },
  {
    label: "entra-auth token, Bun (sources)",
    cmd: [bun, bin, ...args("auto")],
    bare: "bun -e ''",
    check: /^at-/,
  },
  {
    label: "entra-auth token, Bun (npm bin)",
    cmd: [bun, binJs, ...args("auto")],
    bare: "bun -e ''",
    check: /^at-/,
  },
];
if (existsSync(single)) {
  contenders.push({
    label: "entra-auth token, Bun single file",
    cmd: [single, ...args("auto")],
    bare: "bun -e ''",
    check: /^at-/,
  });
} else {
  console.error(
    "(no .build/entra-auth-bun: run bash scripts/build_cli.sh to time the single file)",
  );
}

const env: Record<string, string | undefined> = { ...process.env };
delete env.RUST_BACKTRACE;
function once(c: Contender): number {
  const started = process.hrtime.bigint();
  const r = spawnSync(c.cmd[0], c.cmd.slice(1), { env, encoding: "utf8" });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (r.status !== 0 || !c.check.test(r.stdout)) {
    throw new Error(`${c.label} failed (${r.status}): ${r.stderr}${r.stdout.slice(0, 200)}`);
  }
  return ms;
}
for (const c of contenders) for (let i = 0; i < 2; i++) once(c); // warm-up
// What is timed is the fast path (a token from the cache, nothing else loaded): say so.
for (const c of contenders.filter((c) => c.label.startsWith("entra-auth"))) {
  const r = spawnSync(c.cmd[0], c.cmd.slice(1), {
    env: { ...env, ENTRA_AUTH_LOG: "startup" },
    encoding: "utf8",
  });
  if (r.stderr !== "entra-auth: startup: served from the cache\n") {
    throw new Error(`${c.label} did not take the fast path: ${r.stderr}`);
  }
}
/**
 * The CPU time (user + system) of one run, from bash's `times` (getrusage of its children,
 * millisecond resolution): unlike wall time, it hardly moves when other work shares the CPUs.
 */
function cpuOnce(c: Contender): number {
  const r = spawnSync(
    "bash",
    ["-c", "\"$@\" >/dev/null 2>&1; s=$?; times >&2; exit $s", "bash", ...c.cmd],
    { env, encoding: "utf8" },
  );
  const m = /(\d+)m([\d.]+)s (\d+)m([\d.]+)s\s*$/.exec(r.stderr);
  if (r.status !== 0 || !m) throw new Error(`${c.label} failed (${r.status}): ${r.stderr}`);
  return (Number(m[1]) * 60 + Number(m[2]) + Number(m[3]) * 60 + Number(m[4])) * 1000;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Round-robin runs of every contender; prints the medians, the overhead and the ratio. */
function table(what: string, measure: (c: Contender) => number): void {
  const times = contenders.map(() => [] as number[]);
  for (let i = 0; i < runs; i++) contenders.forEach((c, j) => times[j].push(measure(c)));
  const medians = new Map(contenders.map((c, j) => [c.label, median(times[j])]));
  const msal = medians.get("msal-node script (Node)")!;
  console.log(`${runs} runs each, round-robin; ${what}, median.`);
  console.log("");
  console.log(
    "contender".padEnd(38) + "median ms".padStart(10) + "over bare".padStart(11)
      + "   vs msal-node",
  );
  for (const c of contenders) {
    const m = medians.get(c.label)!;
    const over = c.bare ? `+${(m - medians.get(c.bare)!).toFixed(1)}` : "";
    const ratio = c.bare ? `${(m / msal).toFixed(2)}x` : "";
    console.log(
      c.label.padEnd(38) + m.toFixed(1).padStart(10) + over.padStart(11) + `   ${ratio}`,
    );
  }
  console.log("");
}

console.log(
  "A token from the persistent cache in a new process (10 accounts, 30 tokens), offline.",
);
table("wall time", once);
table("CPU time (user + system)", cpuOnce);

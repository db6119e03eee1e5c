/**
 * The cache-size benchmark (Node, compiled: npm/bench/cache/measure.js): for 1,000 and
 * 100,000 access tokens, times loading the persistent cache and committing one new token,
 * ours on Deno, Bun and Node (plaintext, and keyring-encrypted when a keyring session is
 * there) against msal-node with its file plug-in, in one run, round-robin; prints medians,
 * peak memory and ratios to msal-node.
 *
 * Usage: node npm/bench/cache/measure.js [runs]   (default 3 at 1,000 tokens; 1 at 100,000)
 */

import { spawnSync } from "node:child_process";
import { mkdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { withCache } from "../../src/cache/plugin.ts";
import { TokenCache } from "../../src/cache/token_cache.ts";
import { createPersistentCache } from "../../src/persistence/persistent_cache.ts";
import { repoPath } from "../../tests/support/paths.ts";
import { cacheContents } from "./contents.ts";

const runs = Number(process.argv[2] ?? 3);
const dir = repoPath(".tmp", "bench-cache");
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });
const name = `bench-cache-${process.pid}`;
const deno = repoPath("node_modules", ".bin", "deno");
const bun = repoPath("node_modules", ".bin", "bun");
const ours = repoPath("bench", "cache", "ours.ts");
const oursJs = repoPath("npm", "bench", "cache", "ours.js");
const msal = repoPath("npm", "bench", "cache", "msal_node.js");

interface Sample {
  load: number;
  write: number;
  rss: number;
}
/** A process that takes longer than this is stopped and reported as NaN. */
const LIMIT_MS = 600_000;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

for (const tokens of [1_000, 100_000]) {
  const text = JSON.stringify(cacheContents(tokens));
  const source = join(dir, `source-${tokens}.json`);
  writeFileSync(source, text, { mode: 0o600 });
  const mb = (statSync(source).size / 2 ** 20).toFixed(1);
  const contenders: Array<{ label: string; cmd: (file: string) => string[]; keyring?: boolean; }> =
    [
      { label: "msal-node (Node, file plug-in)", cmd: (f) => ["node", msal, f] },
      {
        label: "ours Deno, plaintext",
        cmd: (f) => [deno, "run", "-A", "--quiet", ours, f, "plaintext"],
      },
      { label: "ours Bun, plaintext", cmd: (f) => [bun, ours, f, "plaintext"] },
      { label: "ours Node, plaintext", cmd: (f) => ["node", oursJs, f, "plaintext"] },
    ];
  if (process.env.DBUS_SESSION_BUS_ADDRESS) {
    contenders.push(
      {
        label: "ours Deno, keyring",
        cmd: (f) => [deno, "run", "-A", "--quiet", ours, f, "keyring", name],
        keyring: true,
      },
      { label: "ours Bun, keyring", cmd: (f) => [bun, ours, f, "keyring", name], keyring: true },
    );
  }
  const samples = new Map<string, Sample[]>(contenders.map((c) => [c.label, []]));
  const rounds = tokens >= 100_000 ? 1 : runs;
  for (let run = 0; run < rounds; run++) {
    for (const contender of contenders) {
      // A fresh copy each run: every contender loads the same contents and adds one token.
      const file = join(dir, `run-${tokens}.json`);
      rmSync(file, { force: true });
      writeFileSync(file, text, { mode: 0o600 });
      if (contender.keyring) {
        await withCache(
          new TokenCache(),
          createPersistentCache({ path: file, name, encryption: "keyring" }),
          (c) => c.deserialize(text),
        );
      }
      const [cmd, ...args] = contender.cmd(file);
      const child = spawnSync(cmd, args, {
        encoding: "utf8",
        maxBuffer: 1 << 24,
        timeout: LIMIT_MS,
      });
      if (child.error || child.signal) {
        samples.get(contender.label)!.push({ load: NaN, write: NaN, rss: NaN });
        continue;
      }
      if (child.status !== 0) throw new Error(`${contender.label}: ${child.stderr}`);
      samples.get(contender.label)!.push(JSON.parse(child.stdout.trim().split("\n").at(-1)!));
    }
  }
  const base = samples.get(contenders[0].label)!;
  const baseLoad = median(base.map((s) => s.load));
  const baseWrite = median(base.map((s) => s.write));
  console.log(
    `\n${tokens.toLocaleString("en")} access tokens (${mb} MiB file), median of ${rounds} `
      + `(NaN: over ${LIMIT_MS / 1000} s):`,
  );
  console.log("contender                          load ms  ×msal   write ms  ×msal   RSS MiB");
  for (const c of contenders) {
    const s = samples.get(c.label)!;
    const load = median(s.map((x) => x.load));
    const write = median(s.map((x) => x.write));
    const rss = Math.max(...s.map((x) => x.rss));
    console.log(
      `${c.label.padEnd(34)} ${load.toFixed(0).padStart(7)}  ${
        (load / baseLoad).toFixed(2).padStart(5)
      }  ${write.toFixed(0).padStart(8)}  ${(write / baseWrite).toFixed(2).padStart(5)}  ${
        rss.toFixed(0).padStart(8)
      }`,
    );
  }
}
rmSync(dir, { recursive: true, force: true });

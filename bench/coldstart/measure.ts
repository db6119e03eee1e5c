/**
 * The cold start benchmark (Node, compiled: npm/bench/coldstart/measure.js): writes the same
 * cache contents for everyone, then times whole new processes, round-robin so that every
 * contender sees the same machine state, and prints medians and ratios to msal-node.
 * When a keyring session is there (scripts/with-broker.sh), ours with encryption is timed too.
 *
 * Usage: node npm/bench/coldstart/measure.js [runs]
 */

import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { repoPath } from "../../tests/support/paths.ts";
import { fillBenchCache } from "./common.ts";

const runs = Number(process.argv[2] ?? 15);
const dir = repoPath(".tmp", "coldstart");
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });
const plain = join(dir, "cache.json");
const encrypted = join(dir, "cache.enc");
const name = `coldstart-${process.pid}`;
// Ten accounts with tokens for a few scopes: a realistic developer-machine cache.
await fillBenchCache(plain, { encryption: "plaintext", name });
const msalFile = join(dir, "msal.json");
copyFileSync(plain, msalFile);
let withKeyring = false;
if (process.env.DBUS_SESSION_BUS_ADDRESS) {
  try {
    await fillBenchCache(encrypted, { encryption: "keyring", name });
    withKeyring = true;
  } catch (err) {
    console.error(`keyring variant skipped: ${(err as Error).message}`);
  }
}

const deno = repoPath("node_modules", ".bin", "deno");
const bun = repoPath("node_modules", ".bin", "bun");
const ours = repoPath("bench", "coldstart", "ours.ts");
const oursJs = repoPath("npm", "bench", "coldstart", "ours.js");
const contenders: Array<{ label: string; cmd: string[]; }> = [
  {
    label: "msal-node (Node, file plug-in)",
    cmd: ["node", repoPath("npm", "bench", "coldstart", "msal_node.js"), msalFile],
  },
  { label: "ours Deno, plaintext", cmd: [deno, "run", "-A", "--quiet", ours, plain, "plaintext"] },
  { label: "ours Bun, plaintext", cmd: [bun, ours, plain, "plaintext"] },
  { label: "ours Node, plaintext", cmd: ["node", oursJs, plain, "plaintext"] },
];
if (withKeyring) {
  contenders.push(
    {
      label: "ours Deno, keyring",
      cmd: [deno, "run", "-A", "--quiet", ours, encrypted, "keyring", name],
    },
    { label: "ours Bun, keyring", cmd: [bun, ours, encrypted, "keyring", name] },
    { label: "ours Node, keyring", cmd: ["node", oursJs, encrypted, "keyring", name] },
  );
}

const env = { ...process.env };
delete env.RUST_BACKTRACE;
function once(cmd: string[]): number {
  const started = process.hrtime.bigint();
  const r = spawnSync(cmd[0], cmd.slice(1), { env, encoding: "utf8" });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (r.status !== 0 || !/^\d+\s*$/.test(r.stdout)) {
    throw new Error(`${cmd.join(" ")} failed (${r.status}): ${r.stderr}${r.stdout}`);
  }
  return ms;
}
for (const c of contenders) for (let i = 0; i < 2; i++) once(c.cmd); // warm-up (Deno's cache, disk)
const times = contenders.map(() => [] as number[]);
for (let i = 0; i < runs; i++) contenders.forEach((c, j) => times[j].push(once(c.cmd)));
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const medians = times.map(median);
console.log(`Cold start: a new process loads the persistent cache (10 accounts, 30 access tokens)`);
console.log(
  `and returns a valid token silently, offline. ${runs} runs each, round-robin; wall time.`,
);
console.log("");
console.log(
  "contender".padEnd(34) + "median ms".padStart(10) + "min ms".padStart(9) + "   vs msal-node",
);
contenders.forEach((c, j) => {
  console.log(
    c.label.padEnd(34) + medians[j].toFixed(1).padStart(10)
      + Math.min(...times[j]).toFixed(1).padStart(9)
      + `   ${(medians[j] / medians[0]).toFixed(2)}x`,
  );
});
if (withKeyring) {
  const { SecretServiceStore } = await import("../../ffi/keyring/secret_service.ts");
  await new SecretServiceStore("entra-auth").clear(name).catch(() => false);
}

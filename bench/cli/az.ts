/**
 * `entra-auth token` against `az account get-access-token` (Debian's azure-cli), both served
 * from their caches in a new process (Node, compiled: npm/bench/cli/az.js). The Azure CLI is
 * signed in to the Entra emulator offline through a custom cloud (bench/cli/az_standin.ts):
 * `az cloud register`, `az cloud set`, `az login --use-device-code` approved through the
 * emulator's control API. The stand-ins are then stopped, so every timed `az` call is served
 * from its cache (one that is not fails the run). Round-robin runs, medians, and how many
 * times slower `az` is than each of ours.
 *
 * Usage: node npm/bench/cli/az.js [runs]
 */

import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { repoPath } from "../../tests/support/paths.ts";
import { BENCH_CLIENT, BENCH_TENANT, BENCH_USERNAME, fillBenchCache } from "../coldstart/common.ts";
import { AZ_TENANT, startAzStandins } from "./az_standin.ts";

const RESOURCE = "https://management.core.windows.net/";
const runs = Number(process.argv[2] ?? 15);

const probe = spawnSync("az", ["version", "--output", "none"], { encoding: "utf8" });
if (probe.error || probe.status !== 0) {
  console.log("");
  console.log("`az account get-access-token`: skipped, the Azure CLI is not installed. On Debian:");
  console.log("  sudo apt-get install azure-cli");
  process.exit(0);
}

const dir = repoPath(".tmp", "bench-cli-az");
rmSync(dir, { recursive: true, force: true });
mkdirSync(join(dir, "certs"), { recursive: true });

// Our cache: ten accounts, each with tokens for Graph, Files and Resource Manager.
const ours = join(dir, "cache.json");
// ARM's as Entra names them: `https://management.core.windows.net//.default`.
await fillBenchCache(ours, {
  encryption: "plaintext",
  scopes: [
    "User.Read Mail.Read",
    "Files.Read",
    `${RESOURCE}/user_impersonation ${RESOURCE}/.default`,
  ],
});

// The Azure CLI: its own configuration folder, the stand-ins' CA, the proxy, no telemetry.
const standins = await startAzStandins(join(dir, "certs"));
const azEnv: Record<string, string | undefined> = { ...process.env };
for (const name of ["HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY"]) {
  delete azEnv[name];
  delete azEnv[name.toLowerCase()];
}
Object.assign(azEnv, {
  AZURE_CONFIG_DIR: join(dir, "azure"),
  REQUESTS_CA_BUNDLE: standins.caFile,
  HTTPS_PROXY: standins.proxy,
  NO_PROXY: "127.0.0.1,localhost",
  AZURE_CORE_COLLECT_TELEMETRY: "false",
  AZURE_CORE_NO_COLOR: "true",
});

/** Runs `az` while this process keeps serving the stand-ins (so never spawnSync here). */
function az(args: string[], onStderr?: (text: string) => void): Promise<string> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn("az", args, { env: azEnv });
    let out = "";
    let err = "";
    const timer = setTimeout(() => {
      if (child.pid) process.kill(child.pid, "SIGKILL");
      reject(new Error(`az ${args.join(" ")}: no end after 120 s\n${err}`));
    }, 120_000);
    child.stdout?.setEncoding("utf8").on("data", (t: string) => (out += t));
    child.stderr?.setEncoding("utf8").on("data", (t: string) => {
      err += t;
      onStderr?.(err);
    });
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`az ${args.join(" ")} failed (${code}):\n${err}`));
    });
  });
}

let approved = false;
try {
  await az([
    "cloud",
    "register",
    "--name",
    "EntraEmu",
    "--endpoint-active-directory",
    standins.authority,
    "--endpoint-resource-manager",
    standins.arm,
    "--endpoint-active-directory-resource-id",
    RESOURCE,
    "--endpoint-active-directory-graph-resource-id",
    "https://graph.windows.net/",
  ]);
  await az(["cloud", "set", "--name", "EntraEmu"]);
  await az(
    ["login", "--use-device-code", "--tenant", AZ_TENANT, "--allow-no-subscriptions"],
    (stderr) => {
      const code = /enter the code (\S+) to authenticate/.exec(stderr)?.[1];
      if (code && !approved) {
        approved = true;
        standins.approve(code);
      }
    },
  );
  await az(["account", "get-access-token", "--resource", RESOURCE]);
} catch (err) {
  await standins.close();
  console.error("The Azure CLI could not be signed in to the emulator:");
  console.error(standins.log.join("\n"));
  throw err;
}
await standins.close();

const deno = repoPath("node_modules", ".bin", "deno");
const bun = repoPath("node_modules", ".bin", "bun");
const bin = repoPath("src", "cli", "bin.ts");
// What `npx entra-auth` and `bunx entra-auth` run: the entra-auth package's bin, which loads
// the entra-auth-cli package's bundle (npm/node_modules/entra-auth-cli, as installed).
const binJs = repoPath("npm", "bin", "entra-auth.js");
const single = repoPath(".build", "entra-auth-bun");
// The JSR package as published (scripts/build_jsr.ts): what `deno run jsr:…/cli` runs.
const jsrBin = repoPath(".build", "jsr", "src", "cli", "bin.ts");
const args = [
  "token",
  "--client-id",
  BENCH_CLIENT,
  "--authority",
  `https://login.microsoftonline.com/${BENCH_TENANT}`,
  "--account",
  BENCH_USERNAME,
  "--resource",
  RESOURCE,
  "--output",
  "json",
  "--cache",
  "plaintext",
  "--cache-path",
  ours,
  "--broker",
  "auto",
  "--no-interactive",
];

interface Contender {
  label: string;
  cmd: string[];
  env: Record<string, string | undefined>;
  /** A bare runtime start, printing nothing. */
  bare?: boolean;
}
const env: Record<string, string | undefined> = { ...process.env };
delete env.RUST_BACKTRACE;
const contenders: Contender[] = [
  {
    label: "az account get-access-token",
    cmd: ["az", "account", "get-access-token", "--resource", RESOURCE],
    env: azEnv,
  },
  { label: "entra-auth token, Node", cmd: ["node", binJs, ...args], env },
  {
    label: "entra-auth token, Deno (JSR package)",
    cmd: [deno, "run", "-A", "--quiet", jsrBin, ...args],
    env,
  },
  {
    label: "entra-auth token, Deno (sources)",
    cmd: [deno, "run", "-A", "--quiet", bin, ...args],
    env,
  },
  { label: "entra-auth token, Bun (npm bin)", cmd: [bun, binJs, ...args], env },
];
if (existsSync(single)) {
  contenders.push({ label: "entra-auth token, Bun single file", cmd: [single, ...args], env });
}
// az's own runtime (its launcher is a /usr/bin/python3 script), for scale.
contenders.push({
  label: "python3 -c '' (az's runtime)",
  cmd: ["/usr/bin/python3", "-c", ""],
  env,
  bare: true,
});

function once(c: Contender): number {
  const started = process.hrtime.bigint();
  const r = spawnSync(c.cmd[0], c.cmd.slice(1), { env: c.env, encoding: "utf8" });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  let token: unknown = c.bare ? "" : undefined;
  try {
    if (!c.bare) token = JSON.parse(r.stdout).accessToken;
  } catch { /* reported below */ }
  if (r.status !== 0 || typeof token !== "string" || (token === "") !== (c.bare === true)) {
    throw new Error(`${c.label} failed (${r.status}): ${r.stderr}${r.stdout.slice(0, 200)}`);
  }
  return ms;
}
for (const c of contenders) for (let i = 0; i < 2; i++) once(c); // warm-up
const times = contenders.map(() => [] as number[]);
for (let i = 0; i < runs; i++) contenders.forEach((c, j) => times[j].push(once(c)));
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const medians = contenders.map((_, j) => median(times[j]));
const azMs = medians[0];
console.log("");
console.log(`A token for ${RESOURCE} from the cache in a new process, as JSON, offline`);
console.log("(the emulator and its stand-ins stopped): the Azure CLI, signed in to the Entra");
console.log("emulator through a custom cloud, against entra-auth.");
console.log(`${runs} runs each, round-robin; wall time, median.`);
console.log("");
console.log("contender".padEnd(36) + "median ms".padStart(10) + "   az takes");
contenders.forEach((c, j) => {
  const ratio = j === 0 || c.bare ? "" : `${(azMs / medians[j]).toFixed(1)}x as long`;
  console.log(c.label.padEnd(36) + medians[j].toFixed(1).padStart(10) + `   ${ratio}`);
});

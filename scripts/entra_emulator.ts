/**
 * Starts the Entra ID v2.0 emulator on 127.0.0.1 and prints its URL, users and apps.
 *
 * Usage:
 *   node_modules/.bin/deno run -A scripts/entra_emulator.ts [--port 8400] [--config emulator.json]
 *   node_modules/.bin/bun scripts/entra_emulator.ts [--port 8400] [--config emulator.json]
 *
 * `--config` reads a JSON file with `EntraEmulatorOptions` (tenants, users, apps, clouds,
 * lifetimes, revokeRedeemedRefreshTokens, deviceCodeSlowDown, autoLogin). Stops on SIGINT/SIGTERM.
 *
 * @example
 * ```sh
 * node_modules/.bin/deno run -A scripts/entra_emulator.ts --port 8400
 * ```
 *
 * @module
 */

import { readFile } from "node:fs/promises";
import process from "node:process";
import {
  createEntraEmulator,
  type EntraEmulatorOptions,
} from "../src/testing/entra_emulator/mod.ts";

function option(name: string): string | undefined {
  const args = process.argv;
  const at = args.indexOf(name);
  if (at >= 0) return args[at + 1];
  const inline = args.find((a) => a.startsWith(`${name}=`));
  return inline?.slice(name.length + 1);
}

const portText = option("--port") ?? "0";
const port = Number(portText);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`--port must be an integer 0-65535, got ${portText}`);
  process.exit(2);
}
const configPath = option("--config");
const options: EntraEmulatorOptions = configPath
  ? JSON.parse(await readFile(configPath, "utf8")) as EntraEmulatorOptions
  : {};

const emulator = createEntraEmulator(options);
const server = await emulator.listen({ port });
const info = emulator.describe();

console.log(`Entra ID emulator listening on ${server.url}`);
console.log(`Authority (public cloud): ${server.url}/${info.defaultHost}/common`);
console.log(`  (or ${server.url}/common; other clouds: ${server.url}/{host}/{tenant})`);
console.log(
  `App options: { authority: "${server.url}/common", knownAuthorityHosts: ["127.0.0.1"] }`,
);
console.log("  (without knownAuthorityHosts the app asks Microsoft's instance discovery about it)");
console.log(`Control: ${server.url}/_emulator  (faults, requests, time, devicecodes)`);
console.log("Tenants:");
for (const t of info.tenants) console.log(`  ${t.id}  ${(t.domains ?? []).join(", ")}`);
console.log("Users:");
for (const u of info.users) {
  console.log(
    `  ${u.username}  oid=${u.oid} tid=${u.tid}  password=${u.password ?? "(any)"}`,
  );
}
console.log("Apps:");
for (const a of info.apps) {
  const kind = a.isPublicClient === false ? "confidential" : "public";
  const family = a.familyId !== undefined ? ` family=${a.familyId}` : "";
  console.log(
    `  ${a.clientId}  ${a.name ?? ""} (${kind}${family})  redirect: ${a.redirectUris.join(" ")}`,
  );
}

const stop = () => {
  server.close().then(() => process.exit(0));
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);

/**
 * Runs the Linux broker emulator on the session bus named by `DBUS_SESSION_BUS_ADDRESS`.
 *
 * Usage: `deno run -A scripts/broker_emulator.ts [--users FILE] [--control-file PATH] [--log PATH]`
 * (or `bun scripts/broker_emulator.ts …`). Prints `BROKER_EMULATOR_CONTROL_URL=…` once the
 * bus name is owned, writes the control URL to `--control-file`, and exits cleanly on
 * SIGINT/SIGTERM.
 *
 * @example
 * ```sh
 * node_modules/.bin/deno run -A scripts/broker_emulator.ts --control-file /tmp/url --log /tmp/log.jsonl
 * ```
 *
 * @module
 */

import { readFileSync, realpathSync, renameSync, writeFileSync } from "node:fs";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { BrokerEmulator } from "../src/testing/broker_emulator/mod.ts";

/**
 * Parsed command line of the emulator CLI.
 *
 * @example
 * ```ts
 * const args: EmulatorCliArgs = parseArgs(["--log", "/tmp/broker.jsonl"]);
 * ```
 */
export interface EmulatorCliArgs {
  /** Users JSON file. */
  users?: string;
  /** File receiving the control URL. */
  controlFile?: string;
  /** JSONL request log. */
  log?: string;
}

/**
 * Parses the CLI arguments.
 *
 * @param argv Arguments after the script name.
 * @returns The parsed options.
 * @throws {Error} On an unknown option or a missing value.
 * @example
 * ```ts
 * parseArgs(["--users", "users.json"]); // { users: "users.json" }
 * ```
 */
export function parseArgs(argv: readonly string[]): EmulatorCliArgs {
  const args: EmulatorCliArgs = {};
  const names: Record<string, keyof EmulatorCliArgs> = {
    "--users": "users",
    "--control-file": "controlFile",
    "--log": "log",
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i]!.split(/=(.*)/s, 2) as [string, string | undefined];
    const key = names[flag];
    if (!key) throw new Error(`Unknown option ${flag}`);
    const value = inline ?? argv[++i];
    if (!value) throw new Error(`Option ${flag} needs a value`);
    args[key] = value;
  }
  return args;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const users = args.users ? JSON.parse(readFileSync(args.users, "utf8")) : undefined;
  const emulator = await BrokerEmulator.start({ users, logFile: args.log });
  if (args.controlFile) {
    const tmp = `${args.controlFile}.${process.pid}.tmp`;
    writeFileSync(tmp, emulator.controlUrl + "\n");
    renameSync(tmp, args.controlFile);
  }
  console.log(`BROKER_EMULATOR_CONTROL_URL=${emulator.controlUrl}`);
  const stop = (): void => {
    emulator.close().finally(() => process.exit(0));
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  const watch = setInterval(() => {
    if (emulator.connected) return;
    clearInterval(watch);
    console.error("broker emulator: bus connection closed, exiting");
    stop();
  }, 250);
}

// `import.meta.main` is missing on Node 20 (tsc-built copy): compare the entry script instead.
const isMain = (import.meta as { main?: boolean; }).main
  ?? (process.argv[1] !== undefined
    && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url));
if (isMain) {
  main().catch((err) => {
    console.error(`broker emulator: ${(err as Error).message}`);
    process.exit(1);
  });
}

/**
 * What the Node and Bun process hosts take from the `process` global (no `node:process` to
 * load): arguments, environment, platform, home folder, user id, exit.
 *
 * @module
 */

import type { ProcessHost } from "../host.ts";

/** The part of the `process` global used here. */
export interface ProcessGlobal {
  argv: string[];
  env: Record<string, string | undefined>;
  platform: string;
  getuid?: () => number;
  exit(code: number): never;
}

/**
 * The services of {@link ProcessHost} that come from the `process` global.
 *
 * @returns them, from this process's `process` global
 * @example
 * ```ts ignore
 * import { fromProcessGlobal } from "./process_global.ts";
 * console.log(fromProcessGlobal().args);
 * ```
 */
export function fromProcessGlobal(): Pick<
  ProcessHost,
  "args" | "env" | "platform" | "homedir" | "uid" | "exit"
> {
  const process = (globalThis as unknown as { process: ProcessGlobal; }).process;
  const env = process.env;
  return {
    args: process.argv.slice(2),
    env,
    platform: process.platform,
    // os.homedir() is $HOME on POSIX when it is set (else the password database: undefined
    // then, and the caller takes the ordinary path).
    homedir: () => (process.platform !== "win32" && env.HOME ? env.HOME : undefined),
    uid: () => (typeof process.getuid === "function" ? process.getuid() : undefined),
    exit: (code: number) => process.exit(code),
  };
}

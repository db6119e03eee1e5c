#!/usr/bin/env node
/**
 * The `entra-auth` executable: `npx entra-auth`, `bunx entra-auth`,
 * `deno run -A jsr:@entra-auth/core/cli`.
 *
 * `entra-auth token` and `kube` are first answered from the persistent cache by a fast path
 * that loads only the cache reader (`token_from_cache.ts`); everything else, and every token
 * the cache cannot give, goes to the full command line (`main.ts`), loaded only then.
 * `ENTRA_AUTH_LOG=startup` says on stderr which of the two served the call.
 *
 * @example
 * ```sh
 * entra-auth token --client-id "$APP" --resource https://management.azure.com
 * ```
 *
 * @module
 */

import { type ProcessHost, processHost } from "../../ffi/host.ts";
// Imported statically, so that a bundler hoists it into the entry: reached through import(), its
// thirty modules became lazily initialised wrappers, which cost Bun about 3 ms to set up.
import { kubeFromCache, tokenFromCache } from "./token_from_cache.ts";

/**
 * Answers `entra-auth token` or `kube` from the cache: the exit code, or undefined when the full
 * command must run. Failures end as the full command ends them: one line, a documented code.
 */
async function fromCache(host: ProcessHost): Promise<number | undefined> {
  const encoder = new TextEncoder();
  // Bun writes asynchronously: every write goes out in order, and all before the exit.
  let written: Promise<void> = Promise.resolve();
  const serial: ProcessHost = {
    ...host,
    write: (fd, bytes) => (written = written.catch(() => {}).then(() => host.write(fd, bytes))),
  };
  // A line that cannot be written to stderr (closed) has nobody to tell.
  const say = (text: string) => serial.write(2, encoder.encode(text)).catch(() => {});
  const trace = async (text: string) => {
    if (/\bstartup\b/.test(host.env.ENTRA_AUTH_LOG ?? "")) {
      await say(`entra-auth: startup: ${text}\n`);
    }
  };
  const [command, ...argv] = host.args;
  const answer = await (command === "token" ? tokenFromCache : kubeFromCache)(argv, serial);
  try {
    if ("reason" in answer) {
      await trace(`full command (${answer.reason})`);
      return undefined;
    }
    try {
      if (!("output" in answer)) {
        await trace("a failure of the cache, reported");
        throw answer.failure;
      }
      await trace("served from the cache");
      await serial.write(1, encoder.encode(answer.output));
      return 0;
    } catch (err) {
      const { describeFailure } = await import("./exit_codes.ts");
      const { code, message } = describeFailure(err);
      await say(`entra-auth: ${message}\n`);
      return code;
    }
  } finally {
    await written.catch(() => {});
  }
}

let host: ProcessHost | undefined;
try {
  host = await processHost();
} catch {
  // e.g. Deno without --allow-env: the full command reports it as it always has.
}
if (host && ["token", "kube", "get-token"].includes(host.args[0])) {
  const code = await fromCache(host);
  if (code !== undefined) host.exit(code);
}
const { default: process } = await import("node:process");
const { runCli } = await import("./main.ts");
const code = await runCli(process.argv.slice(2));
// Pending broker work (a call abandoned on Ctrl-C) must not keep the command alive.
process.exit(code);

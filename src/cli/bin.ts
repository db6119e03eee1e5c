#!/usr/bin/env node
/**
 * The `entra-auth` executable: `npx entra-auth`, `bunx entra-auth`,
 * `deno run -A jsr:@entra-auth/core/cli`.
 *
 * `entra-auth token` is first answered from the persistent cache by a fast path that loads
 * only the cache reader (`token_from_cache.ts`); everything else, and every token the cache
 * cannot give, goes to the full command line (`main.ts`), loaded only then.
 * `ENTRA_AUTH_LOG=startup` says on stderr which of the two served the call.
 *
 * @example
 * ```sh
 * entra-auth token --client-id "$APP" --resource https://management.azure.com
 * ```
 *
 * @module
 */

import { processHost } from "../../ffi/host.ts";

const host = await processHost();
const encoder = new TextEncoder();
const trace = /\bstartup\b/.test(host.env.ENTRA_AUTH_LOG ?? "");
if (host.args[0] === "token") {
  const { tokenFromCache } = await import("./token_from_cache.ts");
  const answer = await tokenFromCache(host.args.slice(1), host);
  if ("output" in answer) {
    if (trace) host.write(2, encoder.encode("entra-auth: startup: served from the cache\n"));
    host.write(1, encoder.encode(answer.output));
    host.exit(0);
  } else if ("failure" in answer) {
    const { describeFailure } = await import("./exit_codes.ts");
    const { code, message } = describeFailure(answer.failure);
    host.write(2, encoder.encode(`entra-auth: ${message}\n`));
    host.exit(code);
  } else if (trace) {
    host.write(2, encoder.encode(`entra-auth: startup: full command (${answer.reason})\n`));
  }
}
const { runCli } = await import("./main.ts");
const code = await runCli(host.args);
// Pending broker work (a call abandoned on Ctrl-C) must not keep the command alive.
host.exit(code);

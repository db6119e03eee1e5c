/**
 * The cases of identity_plugin.cases.ts (in-process broker tests), each run in a fresh process under
 * Deno and Bun: see tests/support/isolated.ts for why.
 */

import { brokerSkip } from "../support/broker.ts";
import { runCasesIsolated } from "../support/isolated.ts";

await runCasesIsolated(new URL("./identity_plugin.cases.ts", import.meta.url), {
  skip: brokerSkip,
});

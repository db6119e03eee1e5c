/**
 * The cases of entra_auth_credential.cases.ts (in-process broker tests), each run in a fresh process under
 * Deno and Bun: see tests/support/isolated.ts for why.
 */

import { brokerSkip } from "../support/broker.ts";
import { runCasesIsolated } from "../support/isolated.ts";

await runCasesIsolated(new URL("./entra_auth_credential.cases.ts", import.meta.url), {
  skip: brokerSkip,
});

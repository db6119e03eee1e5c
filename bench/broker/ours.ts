/**
 * The broker benchmark, our side: entra-auth's MSALRuntime binding (`--api binding`) or its
 * public API (`--api pca`, PublicClientApplication.acquireTokenSilent, which also reads the
 * account by id before each call, as msal-node's broker plugin does). Runs in Deno, Bun and
 * Node (compiled to npm/bench/broker/ours.js); prints one JSON line. Run by
 * bench/broker/run.sh inside scripts/with-broker.sh.
 *
 * Usage: ours.ts [--api binding|pca] [--round-trip renew|scope] [--log] [--profile]
 */

import type { MsalRuntime, RuntimeAccount } from "../../ffi/msalruntime/binding.ts";
import { startMsalRuntime } from "../../ffi/msalruntime/locate.ts";
import { loadBackend } from "../../ffi/runtime.ts";
import { type AccountInfo, PublicClientApplication } from "../../mod.ts";
import {
  AUTHORITY,
  type BenchArgs,
  CLIENT_ID,
  parseArgs,
  REDIRECT_URI,
  runBench,
  SCOPE,
  type Side,
} from "./common.ts";
import { instrumentBackend, Profiler } from "./profile.ts";

const TIMEOUT_MS = 30_000;

/** The binding: SignInSilently once, then AcquireTokenSilently with the account handle. */
async function bindingSide(args: BenchArgs, profiler?: Profiler): Promise<Side> {
  const rt: MsalRuntime = await startMsalRuntime();
  if (!rt.brokerAvailable) throw new Error(`no broker: ${rt.startupError?.context}`);
  // The sink does nothing: what is measured is MSALRuntime calling into JavaScript.
  if (args.log) await rt.addLogSink(() => {});
  const params = (scope: string, renew?: string) => ({
    clientId: CLIENT_ID,
    authority: AUTHORITY,
    scopes: [scope],
    redirectUri: REDIRECT_URI,
    accessTokenToRenew: renew,
  });
  const options = () => ({ correlationId: crypto.randomUUID(), timeoutMs: TIMEOUT_MS });
  let account: RuntimeAccount | undefined;
  return {
    side: "ours",
    api: "binding",
    profiler,
    async signIn() {
      const r = await rt.signInSilently(params(SCOPE), options());
      if (!r.account) throw new Error("SignInSilently returned no account");
      account = r.account;
      return { username: account.data.username, accessToken: r.accessToken };
    },
    async silent(scope, renew) {
      const r = await rt.acquireTokenSilently(params(scope, renew), account!, options());
      r.account?.close();
      return r.accessToken;
    },
    async close() {
      account?.close();
      await rt.shutdown();
    },
  };
}

/** The public API: acquireTokenInteractive (default OS account, silently), then acquireTokenSilent. */
function pcaSide(args: BenchArgs, profiler?: Profiler): Promise<Side> {
  const app = new PublicClientApplication({
    clientId: CLIENT_ID,
    authority: AUTHORITY,
    enableBrokerOnLinux: true,
    broker: { redirectUri: REDIRECT_URI, silentTimeoutMs: TIMEOUT_MS },
    // The callback drops everything: what is measured is MSALRuntime calling into JavaScript.
    logger: args.log ? { brokerLogs: true, level: "trace", loggerCallback: () => {} } : undefined,
  });
  let account: AccountInfo | undefined;
  return Promise.resolve({
    side: "ours",
    api: "pca",
    profiler,
    async signIn() {
      // No prompt, no account, no hint: SignInSilently with the default OS account. The
      // window handle is never used on that path.
      const r = await app.acquireTokenInteractive({ scopes: [SCOPE], parentWindowHandle: 1n });
      if (!r.fromBroker) throw new Error("not signed in through the broker");
      account = r.account;
      return { username: r.account.username, accessToken: r.accessToken };
    },
    async silent(scope, renew) {
      const r = await app.acquireTokenSilent({
        scopes: [scope],
        account: account!,
        forceRefresh: renew !== undefined,
      });
      return r.accessToken;
    },
    close: () => app.close(),
  });
}

const args = parseArgs(["binding", "pca"]);
let profiler: Profiler | undefined;
if (args.profile) {
  profiler = new Profiler(true);
  instrumentBackend(await loadBackend(), profiler);
}
const make = args.api === "pca" ? pcaSide : bindingSide;
await runBench(() => make(args, profiler), args);

/**
 * The broker benchmark, the reference side: Microsoft's own N-API addon over the same
 * libmsalruntime.so (`@azure/msal-node-runtime`), timed by the same loop as ours.ts. Node
 * only (compiled to npm/bench/broker/addon.js); prints one JSON line. Run by
 * bench/broker/run.sh inside scripts/with-broker.sh.
 *
 * `--api binding`: AcquireTokenSilentlyAsync with the account from the sign-in, the
 * counterpart of our binding. `--api pca`: ReadAccountByIdAsync then AcquireTokenSilentlyAsync
 * per call, what msal-node's NativeBrokerPlugin does and the counterpart of our
 * PublicClientApplication.acquireTokenSilent. Every field our binding reads from a result is
 * read here too, so both sides do the same native work.
 *
 * Usage: addon.js [--api binding|pca] [--round-trip renew|scope] [--log] [--profile]
 */

import type {
  Account,
  AuthParameters,
  AuthResult,
  MsalNodeRuntime,
  ReadAccountResult,
} from "@azure/msal-node-runtime";
import { createRequire } from "node:module";
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
import { Profiler } from "./profile.ts";

function loadAddon(): MsalNodeRuntime {
  const addon = createRequire(import.meta.url)("@azure/msal-node-runtime") as {
    msalNodeRuntime: MsalNodeRuntime;
  };
  const m = addon.msalNodeRuntime;
  if (m.StartupError) {
    throw new Error(`MSALRuntime did not start: ${JSON.stringify(m.StartupError)}`);
  }
  return m;
}

/** Reads every field our binding's readAuthResult reads (account fields included); the error was checked. */
function readResult(r: AuthResult): { accessToken: string; account: Account; } {
  const a = r.account;
  const fields = [
    r.idToken,
    r.rawIdToken,
    r.accessToken,
    r.grantedScopes,
    r.telemetryData,
    a.accountId,
    a.homeAccountId,
    a.environment,
    a.realm,
    a.localAccountId,
    a.username,
    a.displayName,
    a.givenName,
    a.familyName,
    a.clientInfo,
  ];
  if (fields.some((f) => typeof f !== "string") || typeof r.expiresOn !== "number") {
    throw new Error("unexpected result shape");
  }
  // Read like the rest; undefined for a bearer token.
  void r.authorizationHeader;
  void r.isPopAuthorization;
  return { accessToken: r.accessToken, account: a };
}

/** One addon call as a Promise (the addon calls back on the JavaScript thread). */
function call<T extends { CheckError(): void; }>(
  issue: (cb: (result: T) => void) => void,
): Promise<T> {
  return new Promise((resolve, reject) =>
    issue((result) => {
      try {
        result.CheckError();
        resolve(result);
      } catch (err) {
        reject(new Error(`MSALRuntime: ${JSON.stringify(err)}`));
      }
    })
  );
}

function addonSide(args: BenchArgs): Promise<Side> {
  const { api } = args;
  const m = loadAddon();
  // The logger does nothing: what is measured is MSALRuntime calling into JavaScript.
  if (args.log) m.RegisterLogger(() => {}, false);
  const profiler = args.profile ? new Profiler(false) : undefined;
  const params = (scope: string, renew?: string): AuthParameters => {
    const p = new m.AuthParameters();
    p.CreateAuthParameters(CLIENT_ID, AUTHORITY);
    p.SetRequestedScopes(scope);
    p.SetRedirectUri(REDIRECT_URI);
    if (renew !== undefined) p.SetAccessTokenToRenew(renew);
    return p;
  };
  let account: Account | undefined;
  let accountId = "";
  const accountFor = async (): Promise<Account> => {
    if (api !== "pca") return account!;
    const r = await call<ReadAccountResult>((cb) =>
      m.ReadAccountByIdAsync(accountId, crypto.randomUUID(), cb)
    );
    return r.account;
  };
  return Promise.resolve({
    side: "addon",
    api,
    profiler,
    async signIn() {
      const r = await call<AuthResult>((cb) =>
        m.SignInSilentlyAsync(params(SCOPE), crypto.randomUUID(), cb)
      );
      const read = readResult(r);
      account = read.account;
      accountId = account.accountId;
      return { username: account.username, accessToken: read.accessToken };
    },
    async silent(scope, renew) {
      const forAccount = await accountFor();
      const p = params(scope, renew);
      const correlationId = crypto.randomUUID();
      const r = await call<AuthResult>((cb) => {
        profiler?.issued();
        m.AcquireTokenSilentlyAsync(p, correlationId, forAccount, (result) => {
          profiler?.completed();
          cb(result);
        });
      });
      return readResult(r).accessToken;
    },
    close: () => Promise.resolve(),
  });
}

const args = parseArgs(["binding", "pca"]);
await runBench(() => addonSide(args), args);

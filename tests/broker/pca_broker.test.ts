/**
 * PublicClientApplication through the real libmsalruntime.so (from @azure/msal-node-runtime)
 * against the broker emulator on a private D-Bus session bus, in Deno, Bun and Node.
 */

import assert from "node:assert/strict";
import { after, beforeEach, describe, it } from "node:test";
import {
  type AccountInfo,
  BrokerError,
  InteractionRequiredError,
  NetworkError,
  PublicClientApplication,
  type PublicClientApplicationOptions,
  RedirectUriError,
  UserCanceledError,
} from "../../mod.ts";
import {
  addFault,
  brokerSkip,
  clearFaults,
  clearRequests,
  CLIENT_ID,
  requests,
  setSignedIn,
  SIGNED_IN_USER,
} from "../support/broker.ts";

const AUTHORITY = "https://login.microsoftonline.com/organizations";
const SCOPES = ["https://graph.microsoft.com/.default"];
const WINDOW = 1n; // any non-zero handle reaches the broker; the emulator shows no UI
let scopeCounter = 0;
/** A scope MSALRuntime has no cached token for, so the call reaches the broker. */
function freshScopes(): string[] {
  return [`api://entra-auth-test-${Date.now()}-${++scopeCounter}/.default`];
}

function app(extra: Partial<PublicClientApplicationOptions> = {}): PublicClientApplication {
  return new PublicClientApplication({
    clientId: CLIENT_ID,
    authority: AUTHORITY,
    enableBrokerOnLinux: true,
    ...extra,
    broker: { silentTimeoutMs: 5_000, interactiveTimeoutMs: 5_000, ...extra.broker },
  });
}

describe("brokered PublicClientApplication (real MSALRuntime, emulated broker)", {
  skip: brokerSkip,
}, () => {
  const pca = app();
  let account: AccountInfo;

  beforeEach(async () => {
    await clearFaults();
    await clearRequests();
  });

  after(async () => {
    await clearFaults();
  });

  it("signs in with the default OS account, silently, when no prompt is given", async () => {
    const result = await pca.acquireTokenInteractive({
      scopes: SCOPES,
      parentWindowHandle: WINDOW,
    });
    assert.equal(result.fromBroker, true);
    assert.equal(result.account.username, SIGNED_IN_USER);
    assert.equal(result.idTokenClaims.preferred_username, SIGNED_IN_USER);
    assert.equal(result.idTokenClaims.aud, CLIENT_ID);
    assert.equal(result.tokenType, "Bearer");
    assert.equal(result.authorizationHeader, `Bearer ${result.accessToken}`);
    assert.ok(result.expiresOn instanceof Date && result.expiresOn.getTime() > Date.now());
    assert.deepEqual(result.scopes, SCOPES);
    assert.match(result.idToken, /^eyJ[\w-]+\.[\w-]+\.[\w-]+$/);
    assert.ok(result.account.nativeAccountId);
    assert.match(result.correlationId, /^[0-9a-f-]{36}$/);
    const methods = (await requests()).map((r) => r.method);
    assert.ok(methods.includes("acquireTokenSilently"), methods.join());
    assert.ok(!methods.includes("acquireTokenInteractively"), "no UI for the default account");
    const sent = (await requests("acquireTokenSilently"))[0].request.authParameters!;
    assert.equal(sent.redirectUri, "https://login.microsoftonline.com/common/oauth2/nativeclient");
    assert.equal(sent.clientId, CLIENT_ID);
    account = result.account;
  });

  it("shows the broker when prompt asks for it", async () => {
    const result = await pca.acquireTokenInteractive({
      scopes: SCOPES,
      parentWindowHandle: WINDOW,
      prompt: "select_account",
      domainHint: "contoso.example", // not passed: MSALRuntime refuses it
      extraQueryParameters: { msafed: "0", "x-entra-auth-test": "yes" },
    });
    assert.equal(result.account.username, SIGNED_IN_USER);
    const interactive = await requests("acquireTokenInteractively");
    assert.equal(interactive.length, 1);
    const extra = interactive[0].request.authParameters
      ?.additionalQueryParametersForAuthorization as Record<string, string>;
    assert.equal(extra.msafed, "0");
    assert.equal(extra["x-entra-auth-test"], "yes");
  });

  it("signs in a named user (login hint) silently when the broker has them", async () => {
    const result = await pca.acquireTokenInteractive({
      scopes: SCOPES,
      parentWindowHandle: WINDOW,
      loginHint: SIGNED_IN_USER,
    });
    assert.equal(result.account.username, SIGNED_IN_USER);
    const silent = await requests("acquireTokenSilently");
    assert.equal(silent.at(-1)?.request.authParameters?.username, SIGNED_IN_USER);
    assert.equal((await requests("acquireTokenInteractively")).length, 0);
  });

  it("gets a token silently for an account, with claims and extra parameters passed on", async () => {
    const claims = JSON.stringify({ access_token: { xms_cc: { values: ["CP1"] } } });
    const result = await pca.acquireTokenSilent({ scopes: SCOPES, account, claims });
    assert.equal(result.account.homeAccountId, account.homeAccountId);
    const sent = (await requests("acquireTokenSilently")).at(-1)!.request.authParameters!;
    assert.match(String(sent.decodedClaims), /CP1/);
  });

  it("sends the app's client capabilities (xms_cc) to the broker, merged with a claims request, as MSAL Python does", async () => {
    const cae = app({ clientCapabilities: ["CP1"] });
    const fresh = await cae.acquireTokenInteractive({ scopes: SCOPES, parentWindowHandle: WINDOW });
    const signIn = (await requests("acquireTokenSilently")).at(-1)!.request.authParameters!;
    assert.deepEqual(JSON.parse(String(signIn.decodedClaims)), {
      access_token: { xms_cc: { values: ["CP1"] } },
    });
    const claims = JSON.stringify({ access_token: { nbf: { essential: true, value: "1" } } });
    await cae.acquireTokenSilent({ scopes: freshScopes(), account: fresh.account, claims });
    const silent = (await requests("acquireTokenSilently")).at(-1)!.request.authParameters!;
    assert.deepEqual(JSON.parse(String(silent.decodedClaims)), {
      access_token: { nbf: { essential: true, value: "1" }, xms_cc: { values: ["CP1"] } },
    });
  });

  it("lists the broker's accounts", async () => {
    const accounts = await pca.getAccounts();
    assert.ok(accounts.some((a) => a.username === SIGNED_IN_USER && a.nativeAccountId));
  });

  it("issues proof-of-possession tokens", async () => {
    assert.equal(await pca.isPopSupported(), true);
    const result = await pca.acquireTokenSilent({
      scopes: SCOPES,
      account,
      pop: { method: "GET", url: "https://graph.microsoft.com/v1.0/me", nonce: "n0nce" },
    });
    assert.equal(result.tokenType, "pop");
    assert.match(result.authorizationHeader, /^pop \S+/);
    const pop = (await requests("acquireTokenSilently")).at(-1)!.request.authParameters!.popParams;
    assert.ok(pop, "popParams were sent to the broker");
  });

  it("serves 30 parallel silent calls", async () => {
    // Distinct scopes: every call reaches the broker (none is answered from MSALRuntime's cache).
    const results = await Promise.all(
      Array.from({ length: 30 }, () => pca.acquireTokenSilent({ scopes: freshScopes(), account })),
    );
    assert.equal(results.length, 30);
    for (const r of results) assert.equal(r.account.username, SIGNED_IN_USER);
    assert.equal(new Set(results.map((r) => r.correlationId)).size, 30);
  });

  it("maps broker statuses to typed errors", async () => {
    await addFault({
      method: "acquireTokenSilently",
      kind: "error",
      status: 5,
      errorCode: 1234,
      tag: 42,
      context: "server busy",
    });
    const network = await pca.acquireTokenSilent({ scopes: freshScopes(), account }).catch((e) =>
      e
    );
    assert.ok(network instanceof NetworkError, String(network));
    assert.ok(!(network instanceof BrokerError), "a network failure is not a BrokerError");
    assert.equal(network.broker?.status, 5);
    assert.equal(network.broker?.errorCode, 1234);
    assert.equal(network.broker?.tag, 42);
    assert.match(network.broker?.context ?? "", /server busy/);

    await addFault({
      method: "acquireTokenSilently",
      kind: "error",
      status: 13,
      context: "unusable",
    });
    const unusable = await pca.acquireTokenSilent({ scopes: freshScopes(), account }).catch((e) =>
      e
    );
    assert.ok(unusable instanceof InteractionRequiredError, String(unusable));
    assert.ok(!(unusable instanceof BrokerError));
    assert.equal(unusable.broker?.status, 13);

    await addFault({
      method: "acquireTokenInteractively",
      kind: "error",
      status: 7,
      context: "closed",
    });
    const canceled = await pca.acquireTokenInteractive({
      scopes: SCOPES,
      parentWindowHandle: WINDOW,
      prompt: "login",
    })
      .catch((e) => e);
    assert.ok(canceled instanceof UserCanceledError, String(canceled));
    assert.ok(!(canceled instanceof BrokerError));
    assert.equal(canceled.broker?.status, 7);
  });

  it("turns AADSTS50011 into an error naming the redirect URI to register", async () => {
    await addFault({
      method: "acquireTokenSilently",
      kind: "error",
      status: 9,
      context:
        "AADSTS50011: The redirect URI 'https://login.microsoftonline.com/common/oauth2/nativeclient' specified in the request does not match",
    });
    const err = await pca.acquireTokenSilent({ scopes: freshScopes(), account }).catch((e) => e);
    assert.ok(err instanceof RedirectUriError, String(err));
    assert.ok(!(err instanceof BrokerError));
    assert.equal(err.broker?.status, 9);
    assert.equal(err.redirectUri, "https://login.microsoftonline.com/common/oauth2/nativeclient");
  });

  it("reports a D-Bus error as a broker error with status 0", async () => {
    await addFault({
      method: "acquireTokenSilently",
      kind: "dbusError",
      name: "org.freedesktop.DBus.Error.Failed",
    });
    const err = await pca.acquireTokenSilent({ scopes: freshScopes(), account }).catch((e) => e);
    assert.ok(err instanceof BrokerError && err.code === "broker_error", String(err));
    assert.equal(err.status, 0);
    assert.match(err.context ?? "", /DBUS/i);
  });

  it("removeAccount: the account is no longer listed and needs interaction, until it signs in again", async () => {
    const other = app();
    const result = await other.acquireTokenInteractive({
      scopes: SCOPES,
      parentWindowHandle: WINDOW,
    });
    const listed = async (a: PublicClientApplication) =>
      (await a.getAccounts()).some((x) => x.homeAccountId === result.account.homeAccountId);
    assert.ok(await listed(other));
    await other.removeAccount(result.account);
    assert.equal(await listed(other), false, "getAccounts() still lists the removed account");
    await other.removeAccount(result.account); // again: not an error
    assert.equal(await listed(app()), false, "another app object of the process lists it");
    const err = await other.acquireTokenSilent({ scopes: SCOPES, account: result.account }).catch((
      e,
    ) => e);
    assert.ok(err instanceof InteractionRequiredError, String(err));
    const again = await other.acquireTokenInteractive({
      scopes: SCOPES,
      parentWindowHandle: WINDOW,
      prompt: "login",
    });
    assert.equal(again.account.homeAccountId, result.account.homeAccountId);
    assert.ok(await listed(other), "listed again after signing in again");
    await other.acquireTokenSilent({ scopes: freshScopes(), account: again.account });
    await setSignedIn(SIGNED_IN_USER, true);
  });

  it("removeAccount of an account the broker does not know does not throw", async () => {
    const unknown: AccountInfo = {
      homeAccountId: "00000000-0000-0000-0000-00000000dead.aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
      environment: "login.microsoftonline.com",
      tenantId: "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
      username: "nobody@contoso.example",
      localAccountId: "00000000-0000-0000-0000-00000000dead",
      nativeAccountId: "00000000-0000-0000-0000-00000000dead",
    };
    await pca.removeAccount(unknown);
  });

  it("does not use the broker for a B2C authority, but the network", async () => {
    const asked: string[] = [];
    const b2c = new PublicClientApplication({
      clientId: CLIENT_ID,
      authority: "https://contoso.b2clogin.com/contoso.onmicrosoft.com/B2C_1_signin",
      enableBrokerOnLinux: true,
      openBrowser: () => {}, // no headless check: the network request is what is tested
      fetch: (input) => {
        asked.push(String(input instanceof Request ? input.url : input));
        return Promise.reject(new TypeError("offline (test)"));
      },
    });
    const err = await b2c.acquireTokenInteractive({ scopes: ["openid"] }).catch((e) => e);
    assert.equal(err.code, "network_error", String(err));
    assert.ok(asked.some((u) => u.includes("b2clogin.com")), asked.join());
    assert.equal((await requests()).length, 0, "no broker request");
  });
  // A broker that never answers is tested in a process of its own (tests/limits/
  // broker_limits.test.ts, "silent"): in this process the hung call would stay outstanding in
  // MSALRuntime and stall every later test file of a Deno or Bun run that uses the broker.
});

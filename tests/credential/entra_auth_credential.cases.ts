/**
 * EntraAuthCredential's getToken through the real libmsalruntime.so against the broker
 * emulator: the fields the Azure SDK reads, sharing of concurrent calls, abort, claims
 * challenges, CAE, another tenant, proof of possession, and interaction required.
 */

import type { TokenCredential as AzureTokenCredential } from "@azure/core-auth";
import assert from "node:assert/strict";
import { after, beforeEach, describe, it } from "node:test";
import {
  decodeJwtClaims,
  EntraAuthCredential,
  EntraAuthError,
  InteractionRequiredError,
  type PublicClientApplicationOptions,
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

const APP: PublicClientApplicationOptions = {
  clientId: CLIENT_ID,
  authority: "https://login.microsoftonline.com/organizations",
  enableBrokerOnLinux: true,
  broker: { silentTimeoutMs: 10_000, interactiveTimeoutMs: 10_000 },
};
let counter = 0;
/** A scope MSALRuntime has no cached token for, so the call reaches the broker. */
function fresh(): string {
  return `api://entra-auth-cred-${Date.now()}-${++counter}/.default`;
}

describe("EntraAuthCredential (real MSALRuntime, emulated broker)", { skip: brokerSkip }, () => {
  const credential = new EntraAuthCredential({ app: APP });
  // Type-level: it is an @azure/core-auth TokenCredential.
  const _typed: AzureTokenCredential = credential;
  void _typed;

  beforeEach(async () => {
    await clearFaults();
    await clearRequests();
  });
  after(async () => {
    await clearFaults();
    await setSignedIn(SIGNED_IN_USER, true);
    await credential.app.close();
  });

  it("returns the token, its expiry, a refresh time in the future and its type", {
    timeout: 30_000,
  }, async () => {
    const scope = fresh();
    const before = Date.now();
    const token = await credential.getToken(scope);
    assert.equal(token.tokenType, "Bearer");
    const claims = decodeJwtClaims(token.token);
    assert.equal(claims.upn, SIGNED_IN_USER);
    assert.equal(claims.aud, scope.replace(/\/\.default$/, ""));
    assert.ok(token.expiresOnTimestamp > before);
    assert.ok(token.refreshAfterTimestamp > Date.now());
    assert.ok(token.refreshAfterTimestamp < token.expiresOnTimestamp);
    assert.equal(credential.account?.username, SIGNED_IN_USER);
    // Asked again before its refresh time: the same token, no broker call.
    await clearRequests();
    const again = await credential.getToken([scope]);
    assert.equal(again.token, token.token);
    assert.equal((await requests("acquireTokenSilently")).length, 0);
  });

  it("shares one broker request between concurrent calls for the same scopes", {
    timeout: 30_000,
  }, async () => {
    const scope = fresh();
    await addFault({ method: "acquireTokenSilently", kind: "delay", ms: 500, count: 1 });
    const tokens = await Promise.all(
      Array.from({ length: 8 }, (_, i) => credential.getToken(i % 2 ? scope : [scope])),
    );
    assert.equal(new Set(tokens.map((t) => t.token)).size, 1);
    assert.equal((await requests("acquireTokenSilently")).length, 1);
    // Different scopes are different requests.
    await clearRequests();
    await Promise.all([credential.getToken(fresh()), credential.getToken(fresh())]);
    assert.equal((await requests("acquireTokenSilently")).length, 2);
  });

  it("honours abortSignal: before the call, and while the broker is slow", {
    timeout: 30_000,
  }, async () => {
    await assert.rejects(
      credential.getToken(fresh(), { abortSignal: AbortSignal.abort() }),
      (e: unknown) => e instanceof EntraAuthError && e.code === "aborted",
    );
    assert.equal((await requests("acquireTokenSilently")).length, 0);
    await addFault({ method: "acquireTokenSilently", kind: "delay", ms: 5_000, count: 1 });
    const controller = new AbortController();
    const started = Date.now();
    const pending = credential.getToken(fresh(), { abortSignal: controller.signal });
    setTimeout(() => controller.abort(), 200);
    await assert.rejects(
      pending,
      (e: unknown) => e instanceof EntraAuthError && e.code === "aborted",
    );
    assert.ok(Date.now() - started < 4_000, "settled before the broker answered");
  });

  it("answers a claims challenge (as the SDK passes it, JSON; or base64) with a new token", {
    timeout: 30_000,
  }, async () => {
    const scope = fresh();
    const first = await credential.getToken(scope);
    const challenge = "{\"access_token\":{\"nbf\":{\"essential\":true,\"value\":\"1700000000\"}}}";
    await clearRequests();
    const second = await credential.getToken(scope, { claims: challenge, enableCae: true });
    assert.notEqual(second.token, first.token);
    const sent = (await requests("acquireTokenSilently")).at(-1)!.request.authParameters!;
    const decoded = JSON.parse(String(sent.decodedClaims));
    assert.deepEqual(decoded.access_token.nbf, { essential: true, value: "1700000000" });
    assert.deepEqual(decoded.access_token.xms_cc, { values: ["CP1"] });
    assert.deepEqual(decodeJwtClaims(second.token).xms_cc, ["CP1"]);
    const third = await credential.getToken(scope, { claims: btoa(challenge), enableCae: true });
    assert.notEqual(third.token, second.token);
    // After the challenge, the new token serves later calls.
    assert.equal((await credential.getToken(scope, { enableCae: true })).token, third.token);
    await assert.rejects(
      credential.getToken(scope, { claims: "not a claims request" }),
      (e: unknown) => e instanceof EntraAuthError && e.code === "invalid_argument",
    );
  });

  it("asks for client capability CP1 with enableCae", { timeout: 30_000 }, async () => {
    const token = await credential.getToken(fresh(), { enableCae: true });
    assert.deepEqual(decodeJwtClaims(token.token).xms_cc, ["CP1"]);
    const plain = await credential.getToken(fresh());
    assert.equal(decodeJwtClaims(plain.token).xms_cc, undefined);
  });

  it("gets a token for another tenant of the same account", { timeout: 30_000 }, async () => {
    const tenant = "11111111-2222-3333-4444-555555555555";
    const scope = fresh();
    await credential.getToken(scope);
    await clearRequests();
    const token = await credential.getToken(scope, { tenantId: tenant });
    assert.ok(token.token);
    const sent = (await requests("acquireTokenSilently")).at(-1)!.request.authParameters!;
    assert.match(String(sent.authority), new RegExp(`/${tenant}/?$`));
    await assert.rejects(
      credential.getToken(scope, { tenantId: "https://evil.example/x" }),
      (e: unknown) => e instanceof EntraAuthError && e.code === "invalid_argument",
    );
    const fromInstance = new EntraAuthCredential({ app: credential.app });
    await assert.rejects(
      fromInstance.getToken(scope, { tenantId: tenant }),
      (e: unknown) => e instanceof EntraAuthError && e.code === "invalid_argument",
    );
  });

  it("gets a proof-of-possession token through the broker", { timeout: 30_000 }, async () => {
    const token = await credential.getToken(fresh(), {
      proofOfPossessionOptions: {
        nonce: "n0nce",
        resourceRequestMethod: "GET",
        resourceRequestUrl: "https://graph.microsoft.com/v1.0/me",
      },
    });
    assert.equal(token.tokenType, "pop");
    assert.ok(token.refreshAfterTimestamp > Date.now());
    const shr = decodeJwtClaims(token.token);
    assert.equal(shr.m, "GET");
    assert.equal(shr.u, "graph.microsoft.com");
    assert.equal(shr.p, "/v1.0/me");
    assert.equal(shr.nonce, "n0nce");
  });

  it("throws InteractionRequiredError when the user must sign in and interaction is off", {
    timeout: 30_000,
  }, async () => {
    await setSignedIn(SIGNED_IN_USER, false);
    try {
      const signedOut = new EntraAuthCredential({ app: APP });
      await assert.rejects(
        signedOut.getToken(fresh()),
        (e: unknown) => e instanceof InteractionRequiredError && e.code === "interaction_required",
      );
      await assert.rejects(credential.getToken(fresh()), InteractionRequiredError);
    } finally {
      await setSignedIn(SIGNED_IN_USER, true);
    }
  });

  it("signs in through the broker when interaction is allowed", { timeout: 30_000 }, async () => {
    await setSignedIn(SIGNED_IN_USER, false);
    const interactive = new EntraAuthCredential({
      app: APP,
      allowInteraction: true,
      parentWindowHandle: 1n,
    });
    try {
      const token = await interactive.getToken(fresh());
      assert.equal(decodeJwtClaims(token.token).upn, SIGNED_IN_USER);
      assert.ok((await requests("acquireTokenInteractively")).length >= 1);
    } finally {
      await setSignedIn(SIGNED_IN_USER, true);
    }
  });
});

/**
 * @azure/identity's InteractiveBrowserCredential with brokerOptions, given entra-auth's broker
 * through useIdentityPlugin(entraAuthBroker): it signs in through the real libmsalruntime.so
 * and the broker emulator (no N-API addon), then gets tokens silently for that account.
 * Tested with @azure/identity 4.13.1 (msal-node 5.6.0).
 */

import {
  DefaultAzureCredential,
  InteractiveBrowserCredential,
  useIdentityPlugin,
} from "@azure/identity";
import assert from "node:assert/strict";
import process from "node:process";
import { after, beforeEach, describe, it } from "node:test";
import { decodeJwtClaims, EntraAuthError } from "../../mod.ts";
import {
  createEntraAuthBroker,
  entraAuthBroker,
  EntraAuthNativeBroker,
} from "../../src/credential/identity_plugin.ts";
import {
  brokerSkip,
  clearFaults,
  clearRequests,
  CLIENT_ID,
  requests,
  SIGNED_IN_USER,
} from "../support/broker.ts";

/** Any non-zero window handle reaches the broker; the emulator shows no UI. */
const WINDOW = Uint8Array.of(1, 0, 0, 0, 0, 0, 0, 0);

describe("@azure/identity with the entra-auth broker plug-in", { skip: brokerSkip }, () => {
  useIdentityPlugin(entraAuthBroker);

  beforeEach(async () => {
    await clearFaults();
    await clearRequests();
  });
  after(async () => {
    await clearFaults();
  });

  it("signs in with InteractiveBrowserCredential through the broker, then silently", {
    timeout: 60_000,
  }, async () => {
    const credential = new InteractiveBrowserCredential({
      clientId: CLIENT_ID,
      tenantId: "organizations",
      brokerOptions: { enabled: true, parentWindowHandle: WINDOW },
    });
    const token = await credential.getToken("https://graph.microsoft.com/.default");
    assert.ok(token, "a token");
    const claims = decodeJwtClaims(token.token);
    assert.equal(claims.upn, SIGNED_IN_USER);
    assert.equal(claims.aud, "https://graph.microsoft.com");
    assert.equal(claims.appid, CLIENT_ID);
    assert.ok(token.expiresOnTimestamp > Date.now());
    const interactive = await requests("acquireTokenInteractively");
    assert.equal(interactive.length, 1, "the broker's UI was asked for once");
    const sent = interactive[0].request.authParameters!;
    assert.equal(sent.clientId, CLIENT_ID);
    assert.equal(sent.redirectUri, "https://login.microsoftonline.com/common/oauth2/nativeclient");

    // The account is known now: the next token comes silently from the broker.
    await clearRequests();
    const again = await credential.getToken("api://entra-auth-identity-plugin/.default");
    assert.equal(decodeJwtClaims(again.token).aud, "api://entra-auth-identity-plugin");
    assert.equal((await requests("acquireTokenInteractively")).length, 0);
    assert.ok((await requests("acquireTokenSilently")).length >= 1);
  });

  it("uses the OS's default broker account without UI (useDefaultBrokerAccount)", {
    timeout: 60_000,
  }, async () => {
    const credential = new InteractiveBrowserCredential({
      clientId: CLIENT_ID,
      brokerOptions: { enabled: true, parentWindowHandle: WINDOW, useDefaultBrokerAccount: true },
    });
    const token = await credential.getToken("https://storage.azure.com/.default");
    assert.equal(decodeJwtClaims(token.token).upn, SIGNED_IN_USER);
    assert.equal((await requests("acquireTokenInteractively")).length, 0);
  });

  it("issues a PoP token for a request through the broker", { timeout: 60_000 }, async () => {
    const credential = new InteractiveBrowserCredential({
      clientId: CLIENT_ID,
      brokerOptions: { enabled: true, parentWindowHandle: WINDOW, useDefaultBrokerAccount: true },
    });
    const token = await credential.getToken("https://graph.microsoft.com/.default", {
      proofOfPossessionOptions: {
        nonce: "n0nce",
        resourceRequestMethod: "GET",
        resourceRequestUrl: "https://graph.microsoft.com/v1.0/me",
      },
    });
    assert.equal(token.tokenType, "pop");
    const shr = decodeJwtClaims(token.token);
    assert.equal(shr.u, "graph.microsoft.com");
    assert.equal(shr.nonce, "n0nce");
  });
});

describe("DefaultAzureCredential's broker step with the entra-auth plug-in", {
  skip: brokerSkip,
}, () => {
  it("gets a token from the OS's default broker account (developer chain)", {
    timeout: 120_000,
  }, async () => {
    useIdentityPlugin(entraAuthBroker);
    // The developer chain only (no managed identity probe off this machine); the Azure CLI,
    // PowerShell and azd are not installed here, so the broker step answers.
    const saved = process.env.AZURE_TOKEN_CREDENTIALS;
    process.env.AZURE_TOKEN_CREDENTIALS = "dev";
    try {
      await clearRequests();
      const credential = new DefaultAzureCredential();
      const token = await credential.getToken("https://management.azure.com/.default");
      const claims = decodeJwtClaims(token.token);
      assert.equal(claims.upn, SIGNED_IN_USER);
      assert.equal(claims.aud, "https://management.azure.com");
      assert.equal((await requests("acquireTokenInteractively")).length, 0, "no UI");
    } finally {
      if (saved === undefined) delete process.env.AZURE_TOKEN_CREDENTIALS;
      else process.env.AZURE_TOKEN_CREDENTIALS = saved;
    }
  });
});

describe("entraAuthBroker outside @azure/identity", () => {
  it("refuses a context that is not @azure/identity's", () => {
    assert.throws(
      () => createEntraAuthBroker()({}),
      (e: unknown) => e instanceof EntraAuthError && e.code === "invalid_argument",
    );
  });
  it("reports no broker when MSALRuntime cannot be found", () => {
    const missing = new EntraAuthNativeBroker({ libraryPath: "/nonexistent/libmsalruntime.so" });
    assert.equal(missing.isBrokerAvailable, false);
  });
  it("reports the broker when MSALRuntime is installed", { skip: brokerSkip }, () => {
    assert.equal(new EntraAuthNativeBroker().isBrokerAvailable, true);
  });
});

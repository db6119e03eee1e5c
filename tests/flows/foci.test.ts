/**
 * The family refresh token (FOCI) in the shared cache, end to end against the Entra ID
 * emulator: an app outside the family never costs the family its token, a known non-family
 * app never sends another app's family token, and the newest refresh token is the one sent.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { InteractionRequiredError, PublicClientApplication } from "../../mod.ts";
import type { EntraEmulator } from "../../src/testing/entra_emulator/mod.ts";
import {
  ALICE,
  fetchBrowser,
  LONE_APP,
  makeNetworkEmulator,
  TEST_CLIENT_ID,
  TEST_TENANT_ID,
} from "../support/network_emulator.ts";

const AUTHORITY = `https://login.microsoftonline.com/${TEST_TENANT_ID}`;
const SCOPES = ["https://graph.microsoft.com/User.Read"];

interface Serialized {
  RefreshToken: Record<string, { client_id: string; family_id?: string; secret: string; }>;
  AppMetadata: Record<string, { client_id: string; family_id?: string; }>;
}

function app(emulator: EntraEmulator, clientId: string): PublicClientApplication {
  return new PublicClientApplication({
    clientId,
    authority: AUTHORITY,
    fetch: emulator.fetch,
    openBrowser: fetchBrowser(emulator),
  });
}

function refreshRequests(emulator: EntraEmulator): Record<string, string>[] {
  return emulator.requests()
    .filter((r) => r.endpoint === "token" && r.form.grant_type === "refresh_token")
    .map((r) => r.form);
}

function cacheOf(a: PublicClientApplication): Serialized {
  return JSON.parse(a.getTokenCache().serialize());
}

/** A family app (TEST_CLIENT_ID, family "1") signs Alice in: the cache holds the family token. */
async function familySignIn(emulator: EntraEmulator) {
  const family = app(emulator, TEST_CLIENT_ID);
  const first = await family.acquireTokenInteractive({ scopes: SCOPES, loginHint: ALICE });
  const rts = Object.values(cacheOf(family).RefreshToken);
  assert.equal(rts.length, 1);
  assert.equal(rts[0].family_id, "1", "the family app stores a family refresh token");
  return { family, account: first.account, familyRt: rts[0].secret };
}

describe("FOCI: the family refresh token in a shared cache", () => {
  it("an unknown app outside the family learns it is not a member; the family keeps its token", {
    timeout: 30_000,
  }, async () => {
    const emulator = makeNetworkEmulator();
    const { family, account, familyRt } = await familySignIn(emulator);

    const lone = app(emulator, LONE_APP); // not in any family, unknown to the cache
    lone.getTokenCache().deserialize(family.getTokenCache().serialize());
    const err = await lone.acquireTokenSilent({ scopes: SCOPES, account }).catch((e) => e);
    assert.ok(err instanceof InteractionRequiredError, String(err));
    const tried = refreshRequests(emulator);
    assert.equal(tried.length, 1, "the family token was tried once");
    assert.equal(tried[0].client_id, LONE_APP);
    assert.equal(tried[0].refresh_token, familyRt);

    const after = cacheOf(lone);
    const rts = Object.values(after.RefreshToken);
    assert.equal(rts.length, 1, "the family refresh token must stay for the family's apps");
    assert.equal(rts[0].secret, familyRt);
    const meta = Object.values(after.AppMetadata).find((m) => m.client_id === LONE_APP);
    assert.ok(meta, "the refusal is recorded as the app's metadata");
    assert.equal(meta.family_id, "", "recorded as outside the family, as MSAL does");

    // The lone app does not try the family token again.
    const again = await lone.acquireTokenSilent({ scopes: SCOPES, account }).catch((e) => e);
    assert.ok(again instanceof InteractionRequiredError, String(again));
    assert.equal(refreshRequests(emulator).length, 1, "no second attempt with the family token");

    // The family app still signs in silently with the token the lone app left in place.
    family.getTokenCache().deserialize(lone.getTokenCache().serialize());
    const silent = await family.acquireTokenSilent({ scopes: SCOPES, account, forceRefresh: true });
    assert.equal(silent.account.username, ALICE);
    assert.equal(refreshRequests(emulator).at(-1)?.refresh_token, familyRt);
  });

  for (const [error, outside] of [["unauthorized_client", true], ["interaction_required", false]]) {
    it(
      `an unknown app's family attempt refused with ${error}: ${
        outside ? "recorded outside the family" : "nothing learnt"
      }; the token stays`,
      { timeout: 30_000 },
      async () => {
        const emulator = makeNetworkEmulator();
        const { family, account, familyRt } = await familySignIn(emulator);
        const lone = app(emulator, LONE_APP);
        lone.getTokenCache().deserialize(family.getTokenCache().serialize());
        emulator.addFault({ kind: "error", error: String(error), match: { endpoint: "token" } });
        const err = await lone.acquireTokenSilent({ scopes: SCOPES, account }).catch((e) => e);
        assert.ok(err instanceof InteractionRequiredError, String(err));
        const after = cacheOf(lone);
        assert.deepEqual(Object.values(after.RefreshToken).map((rt) => rt.secret), [familyRt]);
        const meta = Object.values(after.AppMetadata).find((m) => m.client_id === LONE_APP);
        assert.deepEqual(meta && meta.family_id, outside ? "" : undefined);
      },
    );
  }

  it("an app known to be outside the family sends only its own refresh token", {
    timeout: 30_000,
  }, async () => {
    const emulator = makeNetworkEmulator();
    const { family, familyRt } = await familySignIn(emulator);
    const lone = app(emulator, LONE_APP);
    lone.getTokenCache().deserialize(family.getTokenCache().serialize());
    const own = await lone.acquireTokenInteractive({ scopes: SCOPES, loginHint: ALICE });
    const ownRt = Object.values(cacheOf(lone).RefreshToken).find((rt) => rt.client_id === LONE_APP);
    assert.ok(ownRt && !ownRt.family_id, "the lone app has its own refresh token");

    const before = refreshRequests(emulator).length;
    await lone.acquireTokenSilent({ scopes: SCOPES, account: own.account, forceRefresh: true });
    const sent = refreshRequests(emulator).slice(before);
    assert.equal(sent.length, 1, JSON.stringify(sent));
    assert.equal(sent[0].refresh_token, ownRt.secret, "its own refresh token");
    assert.notEqual(sent[0].refresh_token, familyRt, "never the family's");
  });

  it("sends the newest of the account's refresh tokens", { timeout: 30_000 }, async () => {
    const emulator = makeNetworkEmulator();
    const { family, account } = await familySignIn(emulator);
    // One family token under each alias of the cloud, as two MSAL libraries may write them;
    // the entry stored last is the newest. The older one is revoked at the authority.
    const cache = cacheOf(family);
    const [[key, rt]] = Object.entries(cache.RefreshToken);
    const old = { ...rt, environment: "login.microsoftonline.com", secret: "old-family-rt" };
    const oldKey = key.replace("login.windows.net", "login.microsoftonline.com");
    assert.notEqual(oldKey, key);
    const reordered = { ...cache, RefreshToken: { [oldKey]: old, [key]: rt } };
    family.getTokenCache().deserialize(JSON.stringify(reordered));
    await family.acquireTokenSilent({ scopes: SCOPES, account, forceRefresh: true });
    assert.equal(refreshRequests(emulator).at(-1)?.refresh_token, rt.secret, "the newest one");
  });
});

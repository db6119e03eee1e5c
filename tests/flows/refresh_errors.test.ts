/**
 * An early refresh (the cached access token's `refresh_on` has passed, but it is still
 * valid): an outage (5xx) serves the cached token, but a request the server refuses (4xx) is
 * the app's problem to see, never hidden behind the cached token.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { PublicClientApplication, ServerError } from "../../mod.ts";
import type { EntraEmulator } from "../../src/testing/entra_emulator/mod.ts";
import {
  ALICE,
  fetchBrowser,
  makeNetworkEmulator,
  TEST_CLIENT_ID,
  TEST_TENANT_ID,
} from "../support/network_emulator.ts";

const AUTHORITY = `https://login.microsoftonline.com/${TEST_TENANT_ID}`;
const SCOPES = ["https://graph.microsoft.com/User.Read"];

/** Signed in, then the cached access token made due for an early refresh (still valid). */
async function dueForRefresh() {
  const emulator = makeNetworkEmulator();
  const warnings: string[] = [];
  const app = new PublicClientApplication({
    clientId: TEST_CLIENT_ID,
    authority: AUTHORITY,
    fetch: emulator.fetch,
    openBrowser: fetchBrowser(emulator),
    logger: {
      loggerCallback: (level, message) => level === "warning" && warnings.push(message),
    },
  });
  const first = await app.acquireTokenInteractive({ scopes: SCOPES, loginHint: ALICE });
  const cache = JSON.parse(app.getTokenCache().serialize());
  const now = Math.floor(Date.now() / 1000);
  for (const at of Object.values(cache.AccessToken) as Record<string, string>[]) {
    assert.ok(Number(at.expires_on) > now + 600, "still valid for a while");
    at.refresh_on = String(now - 60);
  }
  app.getTokenCache().deserialize(JSON.stringify(cache));
  return { emulator, app, first, warnings };
}

function refreshes(emulator: EntraEmulator): number {
  return emulator.requests().filter((r) =>
    r.endpoint === "token" && r.form.grant_type === "refresh_token"
  ).length;
}

describe("early refresh failures", () => {
  it("a 4xx refusal is thrown, not hidden behind the cached token", {
    timeout: 30_000,
  }, async () => {
    const { emulator, app, first } = await dueForRefresh();
    emulator.addFault({
      kind: "error",
      error: "invalid_scope",
      status: 400,
      match: { endpoint: "token" },
    });
    const err = await app.acquireTokenSilent({ scopes: SCOPES, account: first.account })
      .then((r) => r, (e) => e);
    assert.ok(err instanceof ServerError, `expected the server's refusal, got ${String(err)}`);
    assert.equal(err.httpStatus, 400);
    assert.equal(err.error, "invalid_scope");
    assert.equal(refreshes(emulator), 1);
  });

  for (const status of [500, 503]) {
    it(`an outage (${status}) serves the still-valid cached token, with a warning`, {
      timeout: 30_000,
    }, async () => {
      const { emulator, app, first, warnings } = await dueForRefresh();
      emulator.addFault({ kind: "status", status, retryAfter: 0, times: 2 });
      const result = await app.acquireTokenSilent({ scopes: SCOPES, account: first.account });
      assert.equal(result.accessToken, first.accessToken, "the cached token");
      assert.ok(refreshes(emulator) >= 1, "a refresh was attempted");
      assert.ok(warnings.some((w) => /cached access token/.test(w)), warnings.join("\n"));
    });
  }
});

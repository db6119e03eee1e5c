/**
 * The browser sign-in checks the ID token against the nonce it sent (OpenID Connect Core
 * §3.1.3.7): a code obtained by an authorize request with another nonce (an injected or
 * replayed code) and a token reply without an ID token although `openid` was asked for are
 * refused, end to end through acquireByAuthCode against the Entra ID emulator.
 */

import assert from "node:assert/strict";
import { beforeEach, describe, it } from "node:test";
import { EntraAuthError } from "../../src/errors.ts";
import { clearAuthorityCache } from "../../src/network/authority_metadata.ts";
import { acquireByAuthCode } from "../../src/network/client.ts";
import type { FetchLike } from "../../src/network/http.ts";
import type { EntraEmulator } from "../../src/testing/entra_emulator/mod.ts";
import {
  ALICE,
  fetchBrowser,
  makeNetworkEmulator,
  TEST_CLIENT_ID,
} from "../support/network_emulator.ts";

const AUTHORITY = "https://login.microsoftonline.com/contoso.onmicrosoft.com";

beforeEach(() => clearAuthorityCache());

function signIn(
  emulator: EntraEmulator,
  options: { fetch?: FetchLike; openBrowser?: (url: string) => Promise<void>; } = {},
) {
  return acquireByAuthCode({
    clientId: TEST_CLIENT_ID,
    authority: AUTHORITY,
    scopes: ["User.Read"],
    loginHint: ALICE,
    fetch: options.fetch ?? emulator.fetch,
    openBrowser: options.openBrowser ?? fetchBrowser(emulator),
    timeoutMs: 10_000,
  });
}

async function rejectsWith(p: Promise<unknown>, code: string, message?: RegExp): Promise<void> {
  const err = await p.then(() => undefined, (e) => e);
  assert.ok(err instanceof EntraAuthError, `expected ${code}, got ${String(err)}`);
  assert.equal(err.code, code, err.message);
  if (message) assert.match(err.message, message);
}

/** The emulator's fetch, with the token endpoint's JSON reply edited. */
function editTokenReply(
  emulator: EntraEmulator,
  edit: (body: Record<string, unknown>) => void,
): FetchLike {
  return async (input, init) => {
    const res = await emulator.fetch(input, init);
    const url = input instanceof Request ? input.url : String(input);
    if (!url.endsWith("/oauth2/v2.0/token") || !res.ok) return res;
    const body = await res.json() as Record<string, unknown>;
    edit(body);
    return new Response(JSON.stringify(body), { status: res.status, headers: res.headers });
  };
}

describe("the browser sign-in's nonce", () => {
  it("accepts the ID token that carries the nonce it sent", { timeout: 20_000 }, async () => {
    const emulator = makeNetworkEmulator();
    const { idTokenClaims } = await signIn(emulator);
    const sent = emulator.requests().find((r) => r.endpoint === "authorize")!.query.nonce;
    assert.equal(idTokenClaims?.nonce, sent);
  });

  it("refuses a code issued to an authorize request with another nonce", {
    timeout: 20_000,
  }, async () => {
    const emulator = makeNetworkEmulator();
    // An attacker's authorize request (its own nonce) yields the code that reaches our
    // loopback with our state: the ID token then carries the attacker's nonce.
    const browser = fetchBrowser(emulator);
    const openBrowser = (url: string) => {
      const u = new URL(url);
      u.searchParams.set("nonce", "the-attackers-nonce");
      return browser(u.toString());
    };
    await rejectsWith(signIn(emulator, { openBrowser }), "nonce_mismatch", /nonce/);
  });

  it("refuses an ID token with no nonce", { timeout: 20_000 }, async () => {
    const emulator = makeNetworkEmulator();
    const browser = fetchBrowser(emulator);
    const openBrowser = (url: string) => {
      const u = new URL(url);
      u.searchParams.delete("nonce");
      return browser(u.toString());
    };
    await rejectsWith(signIn(emulator, { openBrowser }), "nonce_mismatch");
  });

  it("refuses a token reply without an ID token although openid was requested", {
    timeout: 20_000,
  }, async () => {
    const emulator = makeNetworkEmulator();
    const fetch = editTokenReply(emulator, (body) => delete body.id_token);
    await rejectsWith(signIn(emulator, { fetch }), "invalid_response", /id_token is missing/);
  });
});

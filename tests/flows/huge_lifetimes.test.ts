/**
 * Huge token lifetimes (`expires_in`, `ext_expires_in`, `refresh_in` of 1e21) are clamped at
 * the response boundary: the result's `expiresOn` is a real date, every timestamp written is
 * a digit string, and the persistent cache reads back what it wrote (before, "1e+21" made
 * the next load move the whole file aside: every account lost). An entry with such a
 * timestamp written by someone else costs only that entry.
 */

import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { PublicClientApplication } from "../../mod.ts";
import { parseCache } from "../../src/cache/parse.ts";
import { processTokenResponse } from "../../src/network/token_endpoint.ts";
import { MAX_TOKEN_LIFETIME_S } from "../../src/token_response.ts";
import {
  ALICE,
  fetchBrowser,
  makeNetworkEmulator,
  TEST_CLIENT_ID,
  TEST_TENANT_ID,
} from "../support/network_emulator.ts";

const AUTHORITY = `https://login.microsoftonline.com/${TEST_TENANT_ID}`;
const SCOPES = ["User.Read"];
const HUGE = { expires_in: 1e21, ext_expires_in: 1e21, refresh_in: 1e21 };

/** The emulator's fetch, with every successful token reply's lifetimes replaced. */
function hugeLifetimes(emulator: ReturnType<typeof makeNetworkEmulator>) {
  return async (input: string | URL | Request, init?: RequestInit) => {
    const res = await emulator.fetch(input, init);
    const url = String(input instanceof Request ? input.url : input);
    if (!url.endsWith("/oauth2/v2.0/token") || res.status !== 200) return res;
    const body = { ...(await res.json()), ...HUGE };
    return new Response(JSON.stringify(body), {
      status: 200,
      headers: { "content-type": "application/json" },
    });
  };
}

describe("huge token lifetimes", { timeout: 60_000 }, () => {
  it("are clamped and floored at the response boundary", () => {
    const { response } = processTokenResponse({
      status: 200,
      headers: new Headers(),
      correlationId: "c",
      body: { token_type: "Bearer", access_token: "a", ...HUGE },
    }, { clientId: "c", scopes: ["openid"] });
    assert.equal(response.expires_in, MAX_TOKEN_LIFETIME_S);
    assert.equal(response.ext_expires_in, MAX_TOKEN_LIFETIME_S);
    assert.equal(response.refresh_in, MAX_TOKEN_LIFETIME_S);
    const fractional = processTokenResponse({
      status: 200,
      headers: new Headers(),
      correlationId: "c",
      body: { token_type: "Bearer", access_token: "a", expires_in: "3599.9" },
    }, { clientId: "c", scopes: ["openid"] });
    assert.equal(fractional.response.expires_in, 3599);
  });

  it("survive the persistent cache: written, read back, nothing moved aside", async () => {
    const dir = mkdtempSync(join(tmpdir(), "entra-auth-lifetimes-"));
    const path = join(dir, "cache.json");
    try {
      const emulator = makeNetworkEmulator();
      const options = {
        clientId: TEST_CLIENT_ID,
        authority: AUTHORITY,
        fetch: hugeLifetimes(emulator),
        openBrowser: fetchBrowser(emulator),
        persistentCache: { encryption: "plaintext" as const, path },
      };
      const first = new PublicClientApplication(options);
      const result = await first.acquireTokenInteractive({ scopes: SCOPES, loginHint: ALICE });
      assert.ok(!Number.isNaN(result.expiresOn.getTime()), "expiresOn is an Invalid Date");
      assert.ok(result.expiresOn.getTime() > Date.now());
      const file = JSON.parse(readFileSync(path, "utf8"));
      for (const entry of Object.values(file.AccessToken) as Record<string, string>[]) {
        for (const field of ["cached_at", "expires_on", "extended_expires_on", "refresh_on"]) {
          if (entry[field] !== undefined) assert.match(entry[field], /^\d+$/, field);
        }
      }
      const second = new PublicClientApplication(options);
      const accounts = await second.getAccounts();
      assert.deepEqual(accounts.map((a) => a.username), [ALICE]);
      const silent = await second.acquireTokenSilent({ scopes: SCOPES, account: accounts[0] });
      assert.equal(silent.accessToken, result.accessToken, "served from the file's cache");
      assert.deepEqual(readdirSync(dir).filter((f) => f.includes("corrupt")), []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("an entry with a timestamp like \"1e+21\" written by another library is skipped alone", async () => {
    const dir = mkdtempSync(join(tmpdir(), "entra-auth-lifetimes-"));
    const path = join(dir, "cache.json");
    try {
      const emulator = makeNetworkEmulator();
      const options = {
        clientId: TEST_CLIENT_ID,
        authority: AUTHORITY,
        fetch: emulator.fetch,
        openBrowser: fetchBrowser(emulator),
        persistentCache: { encryption: "plaintext" as const, path },
      };
      const first = new PublicClientApplication(options);
      await first.acquireTokenInteractive({ scopes: SCOPES, loginHint: ALICE });
      const file = JSON.parse(readFileSync(path, "utf8"));
      const [key] = Object.keys(file.AccessToken);
      file.AccessToken[key].expires_on = "1e+21";
      file.AccessToken[key].extended_expires_on = "1e+21";
      writeFileSync(path, JSON.stringify(file));
      assert.deepEqual(parseCache(JSON.stringify(file)).skipped, [
        `AccessToken[${JSON.stringify(key)}].expires_on`,
      ]);

      const second = new PublicClientApplication(options);
      const accounts = await second.getAccounts();
      assert.deepEqual(accounts.map((a) => a.username), [ALICE], "the account survived");
      const silent = await second.acquireTokenSilent({ scopes: SCOPES, account: accounts[0] });
      assert.equal(typeof silent.accessToken, "string", "refreshed with the kept refresh token");
      assert.deepEqual(readdirSync(dir).filter((f) => f.includes("corrupt")), []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

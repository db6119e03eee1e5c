/**
 * Cases the fuzzers in this folder found, each kept as a plain test (no generator), so that
 * the bug cannot come back whatever the seed.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { readSizedString, readSizedStringAsync } from "../../ffi/strings.ts";
import { TokenCache } from "../../src/cache/token_cache.ts";
import { EntraAuthError } from "../../src/errors.ts";
import { processDeviceCodeResponse } from "../../src/network/device_code.ts";
import { processTokenResponse } from "../../src/network/token_endpoint.ts";
import { decodeJwtPayload } from "../../src/network/validate.ts";
import { mergeCache } from "../../src/persistence/merge.ts";
import { decodeJwtClaims } from "../../src/result.ts";
import { b64json } from "../support/fuzz_arbitraries.ts";

const NOW = 1_800_000_000;

describe("fuzz regressions", () => {
  it("an id token whose payload carries base64 padding gives the same claims to the cache as to the validator", () => {
    // Found by tests/fuzz/id_token.test.ts (seed 20261130): the validating decoder strips
    // `=` padding, the cache's decoder did not (payload length 4n+3 plus "==") and stored
    // the account with no username, object id or tenant.
    const claims = {
      aud: "app",
      oid: "00000000-0000-1000-8000-000000000000",
      tid: "72f988bf-86f1-41af-91ab-2d7cd011db47",
      sub: " \"",
      preferred_username: "ada@contoso.example",
    };
    let payload = b64json(claims);
    for (let n = 1; payload.length % 4 !== 3; n++) {
      payload = b64json({ ...claims, pad: "x".repeat(n) });
    }
    const token = `${b64json({ alg: "RS256" })}.${payload}==.sig`;
    const strict = decodeJwtPayload(token, "id_token");
    assert.equal(strict.preferred_username, "ada@contoso.example");
    assert.deepEqual(decodeJwtClaims(token), strict);

    const { response } = processTokenResponse(
      {
        status: 200,
        headers: new Headers(),
        correlationId: "c",
        body: { token_type: "Bearer", access_token: "at", expires_in: 3599, id_token: token },
      },
      { clientId: "app", scopes: ["openid"], now: NOW },
    );
    const saved = new TokenCache({ now: () => NOW }).saveTokenResponse(response, {
      clientId: "app",
      authority: "https://login.microsoftonline.com/organizations",
      environment: "login.microsoftonline.com",
      tenant: "organizations",
      authorityType: "Generic",
      scopes: ["openid"],
      requestedAt: NOW,
    });
    assert.equal(saved.account.username, "ada@contoso.example");
    assert.equal(saved.account.tenantId, claims.tid);
    assert.equal(saved.account.localAccountId, claims.oid);
  });

  it("a device code reply with an empty message still tells the user where to go", () => {
    // Found by tests/fuzz/device_code.test.ts (seed 20261130): `"message": ""` was passed on
    // as the text to show, so the user saw nothing.
    for (const message of ["", "   ", undefined]) {
      const info = processDeviceCodeResponse({
        status: 200,
        body: {
          user_code: "ABCD-EFGH",
          device_code: "d",
          verification_uri: "https://microsoft.com/devicelogin",
          expires_in: 900,
          message,
        },
      }, NOW * 1000);
      assert.match(info.message, /https:\/\/microsoft\.com\/devicelogin/);
      assert.match(info.message, /ABCD-EFGH/);
    }
  });

  it("an access token another writer stored with a huge expires_on is left out, never an Invalid Date", () => {
    // Found by tests/fuzz/cache_format.test.ts (seed 20261130): the cache's reader accepted any
    // digits, and "999…9" gave a result whose expiresOn is an Invalid Date. The reader now
    // leaves such an entry out (issue 8 item 7): the rest of the cache, and the sign-in, stay.
    const home = "u.t";
    const cache = new TokenCache({ now: () => NOW });
    cache.deserialize(JSON.stringify({
      Account: {
        a: {
          home_account_id: home,
          environment: "login.windows.net",
          realm: "t",
          local_account_id: "u",
          username: "ada@contoso.example",
          authority_type: "MSSTS",
        },
      },
      AccessToken: {
        k: {
          home_account_id: home,
          environment: "login.windows.net",
          credential_type: "AccessToken",
          client_id: "c",
          secret: "s",
          realm: "t",
          target: "User.Read",
          cached_at: String(NOW),
          expires_on: "9".repeat(30),
        },
      },
    }));
    const [account] = cache.getAccounts();
    assert.equal(account?.username, "ada@contoso.example", "the account stays");
    const found = cache.findAccessToken({ clientId: "c", account, scopes: ["User.Read"] });
    assert.equal(found, undefined, "the unusable token is not served");
    assert.equal(cache.accessTokenCount, 0);
  });

  it("a native string getter that breaks the size convention gives a typed error, not a plain one", async () => {
    // Found by tests/fuzz/broker_result.test.ts (seed 20261130): a getter reporting a size not
    // larger than the buffer it refused threw a plain Error; one asking for 2^31 - 1 units
    // made the binding allocate gigabytes.
    const typed = (err: unknown) =>
      err instanceof EntraAuthError && err.code === "native_call_failed";
    for (const needed of [0, -1, 256, 2 ** 31 - 1]) {
      let calls = 0;
      const getter = (_buffer: Uint8Array | Uint16Array | null, size: Int32Array) => {
        calls++;
        size[0] = needed;
        return false;
      };
      assert.throws(() => readSizedString("utf8", getter, 256), typed, `needed ${needed}`);
      await assert.rejects(
        readSizedStringAsync("utf16", (b, s) => Promise.resolve(getter(b, s)), 256),
        typed,
        `needed ${needed}`,
      );
      assert.equal(calls, 2, "no second call after a broken size");
    }
    let grow = 256;
    assert.throws(
      () =>
        readSizedString("utf8", (_b, size) => {
          size[0] = grow *= 2;
          return false;
        }, 256),
      typed,
      "a getter that keeps asking for more",
    );
  });

  it("the persistent cache's merge keeps a member named __proto__ (a section or an entry key)", () => {
    // Found by tests/fuzz/cache_merge.test.ts (seed 20261130, Bun and Node): the merge
    // assigned members with `out[name] = value`, which for "__proto__" (an own member, as
    // JSON.parse makes it) sets the prototype instead: the member was lost on write. (Deno
    // disables the __proto__ accessor, so it kept them.)
    const base = JSON.parse("{\"Account\":{}}");
    const mine = JSON.parse(
      "{\"Account\":{\"__proto__\":{\"home_account_id\":\"u.t\",\"environment\":\"e\",\"realm\":\"t\","
        + "\"local_account_id\":\"u\",\"username\":\"a\",\"authority_type\":\"MSSTS\"}},\"__proto__\":[1]}",
    );
    const { document } = mergeCache(base, mine, base);
    const written = JSON.parse(JSON.stringify(document));
    assert.deepEqual(Object.getOwnPropertyDescriptor(written, "__proto__")?.value, [1]);
    const account = Object.getOwnPropertyDescriptor(written.Account, "__proto__")?.value;
    assert.equal(account?.username, "a");
  });

  it("a device code reply with an empty verification_uri uses verification_url, or is refused", () => {
    // Found by the long run of tests/fuzz/device_code.test.ts (FUZZ_SEED=8, 10 000 runs):
    // `"verification_uri": ""` was taken as the address, so the user was told to open "".
    const reply = (body: Record<string, unknown>) =>
      processDeviceCodeResponse({
        status: 200,
        body: { user_code: "ABCD-EFGH", device_code: "d", expires_in: 900, ...body },
      }, NOW * 1000);
    const info = reply({
      verification_uri: "",
      verification_url: "https://microsoft.com/devicelogin",
    });
    assert.equal(info.verificationUri, "https://microsoft.com/devicelogin");
    assert.match(info.message, /https:\/\/microsoft\.com\/devicelogin/);
    assert.throws(
      () => reply({ verification_uri: "" }),
      (err) => err instanceof EntraAuthError && err.code === "invalid_response",
    );
  });
});

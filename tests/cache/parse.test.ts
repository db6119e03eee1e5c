/**
 * Validating a serialized cache (from the mutants that survived the cache_store run): which
 * timestamps, optional fields and credential types are accepted, and what the errors say
 * (never an entry's key: a damaged file may hold a token there).
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CacheError } from "../../src/cache/cache_error.ts";
import { parseCache } from "../../src/cache/parse.ts";

const AT = {
  home_account_id: "uid.utid",
  environment: "login.windows.net",
  credential_type: "AccessToken",
  client_id: "c",
  secret: "s",
  realm: "utid",
  target: "user.read",
  expires_on: "1800000000",
};
const RT = {
  home_account_id: "uid.utid",
  environment: "login.windows.net",
  credential_type: "RefreshToken",
  client_id: "c",
  secret: "s",
};

const withAt = (fields: Record<string, unknown>) =>
  JSON.stringify({ AccessToken: { k: { ...AT, ...fields } } });

function wrongShape(json: string, message: RegExp, path?: string) {
  assert.throws(() => parseCache(json), (err: unknown) => {
    assert.ok(err instanceof CacheError, String(err));
    assert.equal(err.reason, "wrong_shape");
    assert.match(err.message, message);
    if (path !== undefined) assert.equal(err.path, path);
    return true;
  });
}

describe("parseCache: what is accepted", () => {
  it("timestamps: digit strings up to year 275760; anything else skips the token", () => {
    for (
      const [value, kept] of [
        ["8640000000000", true],
        ["8640000000001", false],
        ["1800000000x", false],
        ["x1800000000", false],
        [1800000000, false],
      ] as const
    ) {
      const parsed = parseCache(withAt({ expires_on: value }));
      assert.equal(parsed.sections.AccessToken.size, kept ? 1 : 0, String(value));
      assert.deepEqual(
        parsed.skipped,
        kept ? [] : ["AccessToken[\"k\"].expires_on"],
        String(value),
      );
    }
  });

  it("every timestamp of an access token is checked", () => {
    for (const field of ["cached_at", "extended_expires_on", "refresh_on"]) {
      const parsed = parseCache(withAt({ [field]: "soon" }));
      assert.equal(parsed.sections.AccessToken.size, 0, field);
      assert.deepEqual(parsed.skipped, [`AccessToken["k"].${field}`]);
    }
  });

  it("optional fields may be null", () => {
    const parsed = parseCache(withAt({ refresh_on: null, token_type: null, key_id: null }));
    assert.equal(parsed.sections.AccessToken.size, 1);
    assert.deepEqual(parsed.skipped, []);
  });

  it("a proof-of-possession access token is an access token", () => {
    assert.equal(
      parseCache(withAt({ credential_type: "AccessToken_With_AuthScheme", token_type: "pop" }))
        .sections.AccessToken.size,
      1,
    );
  });

  it("refuses optional fields of the wrong type", () => {
    for (const field of ["token_type", "key_id", "requestedClaims", "requestedClaimsHash"]) {
      wrongShape(withAt({ [field]: 5 }), new RegExp(`entry #1\\.${field} is not a string`));
    }
  });

  it("refuses a missing expiry, and optional fields of the wrong type in every section", () => {
    wrongShape(withAt({ expires_on: undefined }), /AccessToken entry #1\.expires_on is missing/);
    const account = {
      home_account_id: "uid.utid",
      environment: "login.windows.net",
      realm: "utid",
      local_account_id: "uid",
      username: "u@example.com",
      authority_type: "MSSTS",
    };
    for (const field of ["name", "client_info"]) {
      wrongShape(
        JSON.stringify({ Account: { k: { ...account, [field]: 5 } } }),
        new RegExp(`Account entry #1\\.${field} is not a string`),
      );
    }
    assert.equal(parseCache(JSON.stringify({ Account: { k: account } })).sections.Account.size, 1);
    wrongShape(
      JSON.stringify({ RefreshToken: { k: { ...RT, family_id: 1 } } }),
      /RefreshToken entry #1\.family_id is not a string/,
    );
    wrongShape(
      JSON.stringify({
        AppMetadata: { k: { client_id: "c", environment: "login.windows.net", family_id: 1 } },
      }),
      /AppMetadata entry #1\.family_id is not a string/,
    );
  });

  it("refuses an entry of another credential type in the refresh and id token sections", () => {
    wrongShape(
      JSON.stringify({ RefreshToken: { k: { ...RT, credential_type: "AccessToken" } } }),
      /RefreshToken entry #1\.credential_type is not the section's credential type/,
    );
    wrongShape(
      JSON.stringify({ IdToken: { k: { ...RT, credential_type: "RefreshToken", realm: "r" } } }),
      /IdToken entry #1\.credential_type is not the section's credential type/,
    );
    wrongShape(
      withAt({ credential_type: "RefreshToken" }),
      /AccessToken entry #1\.credential_type is not the section's credential type/,
    );
  });
});

describe("parseCache: what the errors say", () => {
  it("names an entry by its position, never by its key (the path keeps the key)", () => {
    const key = "eyJ-a-token-as-a-key";
    const json = JSON.stringify({
      RefreshToken: { a: RT, [key]: { ...RT, secret: undefined } },
    });
    wrongShape(
      json,
      /^The token cache is not in MSAL's shared format: RefreshToken entry #2\.secret is missing\. The cache was not changed; keep the file for diagnosis and sign in again to start a new one\.$/,
      `RefreshToken[${JSON.stringify(key)}].secret`,
    );
    assert.throws(() => parseCache(json), (err: Error) => !err.message.includes(key));
    wrongShape(
      JSON.stringify({ RefreshToken: { [key]: { ...RT, secret: 5 } } }),
      /RefreshToken entry #1\.secret is not a string/,
    );
    wrongShape(
      JSON.stringify({ RefreshToken: { [key]: "text" } }),
      /RefreshToken entry #1 is not a JSON object/,
      `RefreshToken[${JSON.stringify(key)}]`,
    );
  });

  it("a section or the top level that is not an object", () => {
    wrongShape("[]", /: the top level is not a JSON object\./, "the top level");
    wrongShape("{\"Account\":[]}", /: Account is not a JSON object\./, "Account");
    // After a failed entry, the next error names its own place.
    wrongShape("{\"AppMetadata\":5}", /: AppMetadata is not a JSON object\./, "AppMetadata");
  });

  it("not JSON: where the first error is, without quoting the text", () => {
    const json = "{\"AccessToken\": 12345678901x}";
    assert.throws(() => parseCache(json), (err: unknown) => {
      assert.ok(err instanceof CacheError);
      assert.equal(err.reason, "not_json");
      assert.match(
        err.message,
        /^The serialized token cache is not valid JSON \(truncated or corrupt\)\. The cache was not changed; keep the file for diagnosis and sign in again to start a new one\./,
      );
      // V8 (Deno, Node) says where; Bun's parser does not.
      if (!("Bun" in globalThis)) {
        assert.match(err.message, / \(The first error is at character 27\.\)$/);
      } else {
        assert.match(err.message, /start a new one\.$/);
      }
      assert.doesNotMatch(err.message, /12345678901x/);
      return true;
    });
  });

  it("empty input", () => {
    // Not a string at all (a JavaScript caller): "empty" too, not a TypeError.
    for (const json of ["", "  \n", undefined as unknown as string]) {
      assert.throws(
        () => parseCache(json),
        (err: unknown) =>
          err instanceof CacheError && err.reason === "empty"
          && /^The serialized token cache is empty \(a truncated file\?\)\. The cache was not changed\. A cache with no entries serializes as \{\}\.$/
            .test(err.message),
      );
    }
  });
});

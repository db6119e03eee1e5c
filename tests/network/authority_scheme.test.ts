/**
 * Plain `http://` is accepted only on the loopback interface (a local test provider): an
 * authority, or an endpoint an authority's metadata names, on any other host must use https,
 * since codes, PKCE verifiers and refresh tokens travel to it.
 */

import assert from "node:assert/strict";
import { beforeEach, describe, it } from "node:test";
import { parseAuthority } from "../../src/authority.ts";
import { EntraAuthError } from "../../src/errors.ts";
import { clearAuthorityCache, processMetadata } from "../../src/network/authority_metadata.ts";
import { acquireByRefreshToken } from "../../src/network/client.ts";
import type { FetchLike } from "../../src/network/http.ts";

beforeEach(() => clearAuthorityCache());

const NOT_LOOPBACK = [
  "login.microsoftonline.com",
  "127.0.0.1.evil.example",
  "localhost.evil.example",
  "evil.example",
  "10.0.0.1",
  "127.0.0.2.nip.example",
];

function isInvalid(code: string) {
  return (err: unknown) => {
    assert.ok(err instanceof EntraAuthError, String(err));
    assert.equal(err.code, code, err.message);
    return true;
  };
}

describe("http:// only on loopback", () => {
  it("an authority: https anywhere, http on 127.0.0.1, localhost and [::1] only", () => {
    assert.equal(
      parseAuthority("https://login.microsoftonline.com/common").host,
      "login.microsoftonline.com",
    );
    for (const host of ["127.0.0.1:8080", "localhost:3000", "[::1]:4000", "127.0.0.1"]) {
      assert.equal(parseAuthority(`http://${host}/tenant`).url, `http://${host}/tenant`);
    }
    for (const host of NOT_LOOPBACK) {
      assert.throws(
        () => parseAuthority(`http://${host}/common`),
        isInvalid("invalid_argument"),
        `http://${host} must be refused`,
      );
    }
    for (const url of ["ftp://login.microsoftonline.com/common", "file:///etc/common"]) {
      assert.throws(() => parseAuthority(url), isInvalid("invalid_argument"), url);
    }
  });

  it("a flow with a plain-http authority sends nothing", { timeout: 10_000 }, async () => {
    const sent: string[] = [];
    const spy: FetchLike = (input) => {
      sent.push(String(input));
      return Promise.reject(new Error("must not be called"));
    };
    await assert.rejects(
      acquireByRefreshToken({
        clientId: "11111111-1111-1111-1111-111111111111",
        authority: "http://login.microsoftonline.com/common",
        scopes: ["User.Read"],
        refreshToken: "a-refresh-token",
        fetch: spy,
      }),
      isInvalid("invalid_argument"),
    );
    assert.deepEqual(sent, [], "no request may leave for a plain-http authority");
  });

  it("metadata endpoints: https, or http on loopback only", () => {
    const doc = (base: string) => ({
      issuer: `${base}/`,
      authorization_endpoint: `${base}/authorize`,
      token_endpoint: `${base}/token`,
    });
    assert.equal(
      processMetadata(doc("https://id.example")).token_endpoint,
      "https://id.example/token",
    );
    assert.equal(
      processMetadata(doc("http://127.0.0.1:9000")).token_endpoint,
      "http://127.0.0.1:9000/token",
    );
    assert.equal(
      processMetadata(doc("http://localhost:9000")).token_endpoint,
      "http://localhost:9000/token",
    );
    for (const host of NOT_LOOPBACK) {
      assert.throws(
        () => processMetadata(doc(`http://${host}`)),
        isInvalid("invalid_response"),
        `an endpoint on http://${host} must be refused`,
      );
    }
    assert.throws(
      () =>
        processMetadata({ ...doc("https://id.example"), token_endpoint: "http://evil.example/t" }),
      isInvalid("invalid_response"),
    );
  });
});

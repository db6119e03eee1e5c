/**
 * The loopback rules, from the first mutation run of `loopback_rules` (src/authority.ts,
 * src/network/redirect_uri.ts): the redirect URI's check (only http on localhost or
 * 127.0.0.1, written as such, no query or fragment) and its messages, the authority's URL
 * errors, and the known-host match.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DEFAULT_AUTHORITY, parseAuthority } from "../../src/authority.ts";
import { EntraAuthError } from "../../src/errors.ts";
import { loopbackTarget } from "../../src/network/redirect_uri.ts";

const invalid = (pattern: RegExp) => (err: unknown) =>
  err instanceof EntraAuthError && err.code === "invalid_argument" && pattern.test(err.message);

describe("loopbackTarget refuses what is not a loopback redirect URI", () => {
  it("another scheme, another host, a query or a fragment", () => {
    for (
      const uri of [
        "https://localhost",
        "https://127.0.0.1/cb",
        "ftp://localhost/",
        "http://evil.example/cb",
        "http://localhost.evil.example/",
        "http://127.0.0.2/",
        "http://[::1]/",
        "http://localhost/?x=1",
        "http://127.0.0.1/cb#frag",
      ]
    ) {
      assert.throws(
        () => loopbackTarget(uri),
        invalid(
          /^redirectUri must be http:\/\/localhost or http:\/\/127\.0\.0\.1 \(optionally with a port and a path\): /,
        ),
        uri,
      );
    }
  });

  it("a URI not written as http://host (the path sent would not be the one served)", () => {
    // The URL parser reads each as http://localhost/cb, but the text sent back as the redirect
    // URI (written form) would have lost "/cb" while the server answers on /cb only.
    for (
      const uri of [
        "http:localhost/cb",
        "http:/localhost/cb",
        "http:\\\\localhost\\cb",
        "http:localhost/cb/http://x",
        "http://localhost/c\\b",
      ]
    ) {
      assert.throws(() => loopbackTarget(uri), invalid(/^redirectUri must be/), uri);
    }
  });

  it("names what is not a URL", () => {
    assert.throws(
      () => loopbackTarget("127.0.0.1/cb"),
      (err: unknown) =>
        invalid(/^redirectUri is not a URL: 127\.0\.0\.1\/cb$/)(err)
        && (err as Error).cause instanceof TypeError,
    );
  });

  it("keeps the written form; no port is port 0 (any free one)", () => {
    assert.deepEqual(loopbackTarget(" HTTP://LOCALHOST:8400/Cb/ "), {
      hostname: "localhost",
      port: 8400,
      path: "/Cb/",
      suffix: "/Cb/",
    });
    assert.equal(loopbackTarget("http://127.0.0.1:80/x").port, 0);
  });
});

describe("parseAuthority", () => {
  it("names what is not a URL, and what is not https", () => {
    assert.throws(
      () => parseAuthority("login.microsoftonline.com/common"),
      (err: unknown) =>
        invalid(/^authority is not a URL: login\.microsoftonline\.com\/common$/)(err)
        && (err as Error).cause instanceof TypeError,
    );
    assert.throws(
      () => parseAuthority("http://login.microsoftonline.com/common"),
      invalid(/^authority must use https: http:\/\/login\.microsoftonline\.com\/common$/),
    );
  });

  it("plain http on loopback only: no other scheme there", () => {
    for (const url of ["ws://127.0.0.1/t", "ftp://localhost/t"]) {
      assert.throws(() => parseAuthority(url), invalid(/must use https/), url);
    }
  });

  it("B2C by its host or its tfp path", () => {
    assert.equal(
      parseAuthority("https://contoso.b2clogin.com/contoso.onmicrosoft.com/B2C_1_su").type,
      "b2c",
    );
    assert.equal(
      parseAuthority("https://login.contoso.com/tfp/contoso.onmicrosoft.com/B2C_1_su").type,
      "b2c",
    );
    assert.equal(parseAuthority("https://login.contoso.com/TFP/x").type, "oidc");
    assert.equal(parseAuthority("https://login.contoso.com/x/tfp").type, "oidc");
  });

  it("known Entra hosts: case-insensitive, with or without the port", () => {
    const known = (url: string, hosts: string[]) =>
      parseAuthority(url, { knownAadHosts: hosts }).type;
    assert.equal(known("https://login.contoso.com/t", []), "oidc");
    assert.equal(known("https://login.contoso.com/t", ["LOGIN.Contoso.com"]), "aad");
    assert.equal(known("https://LOGIN.contoso.com/t", ["login.contoso.com"]), "aad");
    assert.equal(known("http://127.0.0.1:8400/t", ["127.0.0.1"]), "aad");
    assert.equal(known("http://127.0.0.1:8400/t", ["127.0.0.1:8400"]), "aad");
    assert.equal(known("http://127.0.0.1:8400/t", ["127.0.0.1:9000"]), "oidc");
    assert.equal(known("http://127.0.0.1:8400/t", ["localhost"]), "oidc");
    assert.equal(known("https://login.contoso.com:8443/t", ["Login.Contoso.com:8443"]), "aad");
    assert.equal(known("https://login.contoso.com:8443/t", ["LOGIN.contoso.com"]), "aad");
    assert.equal(parseAuthority("https://login.contoso.com/t").type, "oidc");
  });

  it("the default authority is the public cloud's common endpoint", () => {
    assert.equal(DEFAULT_AUTHORITY, "https://login.microsoftonline.com/common");
    assert.equal(parseAuthority(DEFAULT_AUTHORITY).type, "aad");
  });
});

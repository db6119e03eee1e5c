/**
 * The OIDC metadata document's checks (src/network/authority_metadata.ts), from the first
 * mutation run of `authority_metadata`: where codes, verifiers and refresh tokens may be sent
 * (https, or plain http on loopback only: no other scheme there), the optional endpoints, and
 * `authorization_response_iss_parameter_supported`, with the texts that name the field.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { EntraAuthError } from "../../src/errors.ts";
import { processMetadata, resolveAuthority } from "../../src/network/authority_metadata.ts";

const DOC = {
  issuer: "https://id.example/",
  authorization_endpoint: "https://id.example/authorize",
  token_endpoint: "https://id.example/token",
};

/** The error `invalidResponse` makes: the identity provider's reply, `message` in brackets. */
const refused = (message: string) => (err: unknown) =>
  err instanceof EntraAuthError && err.code === "invalid_response"
  && err.message.includes(`(${message})`);

describe("OIDC metadata checks", () => {
  it("plain http on [::1] too; no scheme but http on loopback", () => {
    const onV6 = { ...DOC, token_endpoint: "http://[::1]:9000/token" };
    assert.equal(processMetadata(onV6).token_endpoint, "http://[::1]:9000/token");
    for (const url of ["ws://127.0.0.1:9000/token", "ftp://localhost/token"]) {
      assert.throws(
        () => processMetadata({ ...DOC, token_endpoint: url }),
        refused("OIDC metadata: token_endpoint is not an https URL (http only on loopback)"),
        url,
      );
    }
  });

  it("names the endpoint that is not a URL, and the document that is no object", () => {
    assert.throws(
      () => processMetadata({ ...DOC, authorization_endpoint: "/authorize" }),
      refused("OIDC metadata: authorization_endpoint is not a URL"),
    );
    assert.throws(() => processMetadata([DOC]), refused("OIDC metadata is not a JSON object"));
    assert.throws(
      () => processMetadata({ ...DOC, issuer: undefined }),
      refused("OIDC metadata: issuer is missing"),
    );
    assert.throws(
      () => processMetadata({ ...DOC, token_endpoint: undefined }),
      refused("OIDC metadata: token_endpoint is missing"),
    );
    assert.throws(
      () => processMetadata({ ...DOC, jwks_uri: 7 }),
      refused("OIDC metadata: jwks_uri is not a string"),
    );
  });

  it("the optional endpoints are checked alike, and kept only when present", () => {
    const names = ["device_authorization_endpoint", "end_session_endpoint", "jwks_uri"] as const;
    for (const name of names) {
      assert.throws(
        () => processMetadata({ ...DOC, [name]: "http://evil.example/x" }),
        refused(`OIDC metadata: ${name} is not an https URL (http only on loopback)`),
        name,
      );
      assert.equal(
        processMetadata({ ...DOC, [name]: "https://id.example/x" })[name],
        "https://id.example/x",
      );
    }
    assert.deepEqual(processMetadata(DOC), DOC);
  });

  it("authorization_response_iss_parameter_supported: kept only when true", () => {
    const with_ = (iss: unknown) =>
      processMetadata({ ...DOC, authorization_response_iss_parameter_supported: iss });
    assert.equal(with_(true).authorization_response_iss_parameter_supported, true);
    for (const iss of [false, null, undefined]) {
      assert.equal("authorization_response_iss_parameter_supported" in with_(iss), false);
    }
    for (const iss of ["true", 1, {}]) {
      assert.throws(
        () => with_(iss),
        refused(
          "OIDC metadata: authorization_response_iss_parameter_supported is not true or false",
        ),
        String(iss),
      );
    }
  });
});

describe("resolveAuthority with metadata given by the app (no request)", () => {
  const resolve = (authority: string, extra: Record<string, unknown> = {}) =>
    resolveAuthority({ authority, authorityMetadata: DOC, ...extra }, {});

  it("the tenant: required but for a generic OIDC issuer; derived for CIAM", async () => {
    await assert.rejects(
      resolve("https://login.microsoftonline.com"),
      (err: unknown) =>
        err instanceof EntraAuthError && err.code === "invalid_argument"
        && err.message === "authority https://login.microsoftonline.com has no tenant: use e.g. "
            + "https://login.microsoftonline.com/common",
    );
    const generic = await resolve("https://id.example", { authorityType: "oidc" });
    assert.equal(generic.tenant, "");
    assert.equal(generic.contextType, "Generic");
    const ciam = await resolve("https://contoso.ciamlogin.com");
    assert.equal(ciam.tenant, "contoso.onmicrosoft.com");
    assert.equal(ciam.url, "https://contoso.ciamlogin.com/contoso.onmicrosoft.com");
    const ciamWithTenant = await resolve("https://contoso.ciamlogin.com/fabrikam.onmicrosoft.com");
    assert.equal(ciamWithTenant.tenant, "fabrikam.onmicrosoft.com");
  });

  it("the cache's authority type: ADFS, Generic, else MSSTS", async () => {
    assert.equal((await resolve("https://fs.contoso.com/adfs")).contextType, "ADFS");
    assert.equal((await resolve("https://login.microsoftonline.com/common")).contextType, "MSSTS");
  });

  it("metadata as JSON text; text that is not JSON is the app's error", async () => {
    const fromText = await resolveAuthority({
      authority: "https://login.microsoftonline.com/common",
      authorityMetadata: JSON.stringify(DOC),
    }, {});
    assert.deepEqual(fromText.metadata, DOC);
    await assert.rejects(
      resolveAuthority({
        authority: "https://login.microsoftonline.com/common",
        authorityMetadata: "{not json",
      }, {}),
      (err: unknown) =>
        err instanceof EntraAuthError && err.code === "invalid_argument"
        && err.message === "authorityMetadata is not JSON" && err.cause instanceof SyntaxError,
    );
  });
});

import assert from "node:assert/strict";
import { beforeEach, describe, it } from "node:test";
import { parseAuthority } from "../../src/authority.ts";
import { EntraAuthError, ServerError } from "../../src/errors.ts";
import {
  clearAuthorityCache,
  metadataUrl,
  processMetadata,
  resolveAuthority,
} from "../../src/network/authority_metadata.ts";
import {
  clearDiscoveredClouds,
  cloudOf,
  hostAliases,
  isSameCloud,
  preferredCacheHost,
} from "../../src/network/cloud_aliases.ts";
import { makeNetworkEmulator, PRIVATE_HOST, TEST_TENANT_ID } from "../support/network_emulator.ts";

beforeEach(() => {
  clearAuthorityCache();
  clearDiscoveredClouds();
});

describe("cloud aliases", () => {
  it("maps the public cloud's aliases to one cloud with login.windows.net as cache host", () => {
    assert.equal(isSameCloud("login.windows.net", "login.microsoftonline.com"), true);
    assert.equal(isSameCloud("sts.windows.net", "LOGIN.MICROSOFT.COM"), true);
    assert.equal(isSameCloud("login.chinacloudapi.cn", "login.partner.microsoftonline.cn"), true);
    assert.equal(isSameCloud("login.microsoftonline.us", "login.microsoftonline.com"), false);
    assert.equal(preferredCacheHost("login.microsoftonline.com"), "login.windows.net");
    assert.equal(preferredCacheHost("id.example.org"), "id.example.org");
    assert.deepEqual(hostAliases("id.example.org"), ["id.example.org"]);
  });
});

describe("authority resolution", () => {
  it("fetches OIDC metadata once per process for a well-known host, without instance discovery", async () => {
    const emulator = makeNetworkEmulator();
    const config = { authority: "https://login.microsoftonline.com/contoso.onmicrosoft.com" };
    const a = await resolveAuthority(config, { fetch: emulator.fetch });
    const b = await resolveAuthority(config, { fetch: emulator.fetch });
    assert.equal(a.type, "aad");
    assert.equal(a.contextType, "MSSTS");
    assert.equal(a.tenant, "contoso.onmicrosoft.com");
    assert.equal(
      a.metadata.token_endpoint,
      `https://login.microsoftonline.com/${TEST_TENANT_ID}/oauth2/v2.0/token`,
    );
    assert.equal(a.metadata.issuer, `https://login.microsoftonline.com/${TEST_TENANT_ID}/v2.0`);
    assert.deepEqual(b.metadata, a.metadata);
    assert.deepEqual(emulator.requests().map((r) => r.endpoint), ["openid_configuration"]);
  });

  it("runs instance discovery for an unknown host and learns its aliases", async () => {
    const emulator = makeNetworkEmulator();
    const a = await resolveAuthority({ authority: `https://${PRIVATE_HOST}/common` }, {
      fetch: emulator.fetch,
    });
    assert.equal(a.type, "aad");
    assert.equal(
      a.metadata.authorization_endpoint,
      `https://${PRIVATE_HOST}/common/oauth2/v2.0/authorize`,
    );
    const [discovery, metadata] = emulator.requests();
    assert.equal(discovery.endpoint, "instance_discovery");
    assert.equal(discovery.host, "login.microsoftonline.com");
    assert.equal(
      discovery.query["authorization_endpoint"],
      `https://${PRIVATE_HOST}/common/oauth2/v2.0/authorize`,
    );
    assert.equal(discovery.query["api-version"], "1.1");
    assert.equal(metadata.endpoint, "openid_configuration");
    assert.equal(isSameCloud(PRIVATE_HOST, "sts.private-cloud.example"), true);
    assert.equal(cloudOf("sts.private-cloud.example")?.preferredNetwork, PRIVATE_HOST);
  });

  it("rejects an unknown host that instance discovery does not know", async () => {
    const emulator = makeNetworkEmulator();
    await assert.rejects(
      resolveAuthority({ authority: "https://login.evil.example/common" }, {
        fetch: emulator.fetch,
      }),
      (err) => {
        assert.ok(err instanceof ServerError);
        assert.equal(err.error, "invalid_instance");
        assert.match(err.message, /authorityType: "oidc"/);
        return true;
      },
    );
  });

  it("skips instance discovery when validation is off, or for known hosts, ADFS, B2C, CIAM", async () => {
    const emulator = makeNetworkEmulator();
    const a = await resolveAuthority({
      authority: `https://${PRIVATE_HOST}/common`,
      authorityType: "aad",
    }, { fetch: emulator.fetch });
    assert.equal(a.type, "aad");
    clearAuthorityCache();
    await resolveAuthority({
      authority: `https://${PRIVATE_HOST}/common`,
      knownAuthorityHosts: [PRIVATE_HOST],
    }, { fetch: emulator.fetch });
    assert.ok(!emulator.requests().some((r) => r.endpoint === "instance_discovery"));
    const urls: string[] = [];
    const metadata = {
      issuer: "https://x.example/",
      authorization_endpoint: "https://x.example/a",
      token_endpoint: "https://x.example/t",
    };
    const fake = (input: string | URL | Request) => {
      urls.push(String(input));
      return Promise.resolve(Response.json(metadata));
    };
    for (
      const authority of [
        "https://adfs.contoso.com/adfs",
        "https://contoso.b2clogin.com/contoso.onmicrosoft.com/B2C_1_signin",
        "https://contoso.ciamlogin.com/",
        "https://id.example.org/realms/x",
      ]
    ) {
      await resolveAuthority({ authority, validateAuthority: false }, { fetch: fake });
    }
    await resolveAuthority({ authority: "https://adfs.contoso.com/adfs" }, { fetch: fake });
    assert.deepEqual(urls, [
      "https://adfs.contoso.com/adfs/.well-known/openid-configuration",
      "https://contoso.b2clogin.com/contoso.onmicrosoft.com/B2C_1_signin/v2.0/.well-known/openid-configuration",
      "https://contoso.ciamlogin.com/contoso.onmicrosoft.com/v2.0/.well-known/openid-configuration",
      "https://id.example.org/realms/x/.well-known/openid-configuration",
    ]);
  });

  it("uses metadata passed in by the app without any request", async () => {
    const emulator = makeNetworkEmulator();
    const metadata = {
      issuer: "https://id.example/",
      authorization_endpoint: "https://id.example/authorize",
      token_endpoint: "https://id.example/token",
      device_authorization_endpoint: "https://id.example/device",
    };
    const a = await resolveAuthority({
      authority: "https://id.example",
      authorityType: "oidc",
      authorityMetadata: JSON.stringify(metadata),
    }, { fetch: emulator.fetch });
    assert.deepEqual(a.metadata, metadata);
    assert.equal(a.contextType, "Generic");
    assert.equal(emulator.requests().length, 0);
    await assert.rejects(
      resolveAuthority({ authority: "https://id.example", authorityMetadata: "{" }, {}),
      (err) => err instanceof EntraAuthError && err.code === "invalid_argument",
    );
  });

  it("rejects malformed metadata and does not cache a failure", async () => {
    const emulator = makeNetworkEmulator();
    emulator.addFault({ kind: "malformed_json", match: { endpoint: "openid_configuration" } });
    const config = { authority: "https://login.microsoftonline.com/common" };
    await assert.rejects(
      resolveAuthority(config, { fetch: emulator.fetch }),
      (err) => err instanceof EntraAuthError && err.code === "invalid_response",
    );
    const ok = await resolveAuthority(config, { fetch: emulator.fetch });
    assert.match(ok.metadata.token_endpoint, /\/common\/oauth2\/v2.0\/token$/);
    assert.throws(
      () =>
        processMetadata({
          issuer: "x",
          authorization_endpoint: "not a url",
          token_endpoint: "https://t",
        }),
      (err) => err instanceof EntraAuthError && err.code === "invalid_response",
    );
    assert.throws(
      () => processMetadata({ issuer: "x", authorization_endpoint: "https://a" }),
      /token_endpoint is missing/,
    );
  });

  it("reports an unknown tenant as a server error", async () => {
    const emulator = makeNetworkEmulator();
    await assert.rejects(
      resolveAuthority({ authority: "https://login.microsoftonline.com/nobody.example" }, {
        fetch: emulator.fetch,
      }),
      (err) =>
        err instanceof ServerError && err.httpStatus === 400
        && /invalid_tenant|tenant/i.test(err.error + err.message),
    );
  });

  it("builds metadata URLs per authority type", () => {
    assert.equal(
      metadataUrl(parseAuthority("https://login.microsoftonline.us/organizations")),
      "https://login.microsoftonline.us/organizations/v2.0/.well-known/openid-configuration",
    );
    assert.equal(
      metadataUrl(parseAuthority("https://sts.contoso.com/adfs/")),
      "https://sts.contoso.com/adfs/.well-known/openid-configuration",
    );
  });
});

/**
 * What the authority's resolution does with the replies of the metadata request and of Entra's
 * instance discovery (src/network/authority_metadata.ts): a failed request named with what to
 * check, a malformed discovery reply refused field by field, the clouds a discovery reply
 * lists recorded, and the caches `clearAuthorityCache` empties. From the survivors of the
 * `authority_metadata` mutation run.
 */

import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { parseAuthority } from "../../src/authority.ts";
import { EntraAuthError, ServerError } from "../../src/errors.ts";
import {
  clearAuthorityCache,
  discoverInstance,
  resolveAuthority,
} from "../../src/network/authority_metadata.ts";
import { clearDiscoveredClouds, hostAliases } from "../../src/network/cloud_aliases.ts";
import type { HttpOptions } from "../../src/network/http.ts";

const HOST = "login.contoso.example";
const TENANT_DOC = `https://${HOST}/common/v2.0/.well-known/openid-configuration`;
const DOC = {
  issuer: `https://${HOST}/{tenantid}/v2.0`,
  authorization_endpoint: `https://${HOST}/common/oauth2/v2.0/authorize`,
  token_endpoint: `https://${HOST}/common/oauth2/v2.0/token`,
};

/** A transport answering by URL, counting the requests. */
function transport(answer: (url: string) => { status: number; body: unknown; }) {
  const asked: string[] = [];
  const http: HttpOptions = {
    defaultRetryDelayMs: 0,
    fetch: (input: string | URL | Request) => {
      const url = String(input instanceof Request ? input.url : input);
      asked.push(url);
      const { status, body } = answer(url);
      const text = typeof body === "string" ? body : JSON.stringify(body);
      return Promise.resolve(
        new Response(text, { status, headers: { "content-type": "application/json" } }),
      );
    },
  };
  return { http, asked };
}

const discovery = (extra: Record<string, unknown> = {}) => ({
  tenant_discovery_endpoint: TENANT_DOC,
  ...extra,
});

const refused = (message: string) => (err: unknown) =>
  err instanceof EntraAuthError && err.code === "invalid_response" && err.message.includes(message);

afterEach(() => {
  clearAuthorityCache();
  clearDiscoveredClouds();
});

describe("the metadata request", () => {
  it("a refusal with an OAuth error says which URL gave no metadata", async () => {
    const authority = "https://login.microsoftonline.com/contoso.example";
    const { http } = transport(() => ({
      status: 400,
      body: { error: "invalid_tenant", error_description: "AADSTS90002: Tenant not found." },
    }));
    await assert.rejects(resolveAuthority({ authority }, http), (err: unknown) => {
      assert.ok(err instanceof ServerError, String(err));
      assert.match(
        err.message,
        /Check the authority: https:\/\/login\.microsoftonline\.com\/contoso\.example\/v2\.0\/\.well-known\/openid-configuration did not give OpenID Connect metadata\./,
      );
      return true;
    });
  });

  it("a failure without an OAuth error names the status and the URL", async () => {
    const authority = "https://login.microsoftonline.com/contoso.example";
    const { http } = transport(() => ({ status: 404, body: { message: "no such page" } }));
    await assert.rejects(
      resolveAuthority({ authority }, http),
      refused(
        "OIDC metadata request: HTTP 404 from https://login.microsoftonline.com/contoso.example/v2.0/.well-known/openid-configuration",
      ),
    );
  });

  it("a reply that is not JSON is named as the metadata request's", async () => {
    const authority = "https://login.microsoftonline.com/contoso.example";
    const { http } = transport(() => ({ status: 200, body: "<html>" }));
    await assert.rejects(
      resolveAuthority({ authority }, http),
      refused("OIDC metadata request: the body is not JSON"),
    );
  });

  it("is made once per authority until clearAuthorityCache, for metadata and discovery", async () => {
    const { http, asked } = transport((url) =>
      url.includes("/discovery/instance")
        ? { status: 200, body: discovery() }
        : { status: 200, body: DOC }
    );
    const config = { authority: `https://${HOST}/common` };
    await resolveAuthority(config, http);
    await resolveAuthority(config, http);
    assert.equal(asked.length, 2, asked.join("\n")); // discovery, then the metadata
    clearAuthorityCache();
    await resolveAuthority(config, http);
    assert.equal(asked.length, 4, asked.join("\n"));
    assert.match(asked[2], /\/discovery\/instance\?/);
    assert.equal(asked[3], TENANT_DOC);
  });
});

describe("instance discovery", () => {
  const authority = parseAuthority(`https://${HOST}/common`, { knownAadHosts: [HOST] });

  it("an unknown host: what to set instead, for invalid_instance only", async () => {
    const unknown = transport(() => ({
      status: 400,
      body: { error: "invalid_instance", error_description: "AADSTS50049: Unknown instance." },
    }));
    await assert.rejects(discoverInstance(authority, unknown.http), (err: unknown) => {
      assert.ok(err instanceof ServerError, String(err));
      assert.ok(
        err.message.includes(
          `${HOST} is not a known Microsoft Entra ID host. For another OpenID Connect provider set authorityType: "oidc"; for a trusted private host add it to knownAuthorityHosts, or set validateAuthority: false.`,
        ),
        err.message,
      );
      return true;
    });
    const other = transport(() => ({
      status: 400,
      body: { error: "invalid_request", error_description: "AADSTS90014: missing field." },
    }));
    await assert.rejects(discoverInstance(authority, other.http), (err: unknown) => {
      assert.ok(err instanceof ServerError, String(err));
      assert.ok(!err.message.includes("knownAuthorityHosts"), err.message);
      return true;
    });
  });

  it("a failure without an OAuth error names the status", async () => {
    const { http } = transport(() => ({ status: 404, body: { message: "no such page" } }));
    await assert.rejects(
      discoverInstance(authority, http),
      refused("instance discovery: HTTP 404"),
    );
  });

  it("refuses a malformed reply, naming what is wrong", async () => {
    const cases: [unknown, string][] = [
      [{}, "instance discovery: tenant_discovery_endpoint is missing"],
      ["<html>", "instance discovery: the body is not JSON"],
      [discovery({ metadata: {} }), "instance discovery: metadata is not a list"],
      [discovery({ metadata: ["x"] }), "instance discovery: bad metadata entry"],
      [
        discovery({
          metadata: [{ preferred_network: HOST, preferred_cache: HOST, aliases: HOST }],
        }),
        "instance discovery: aliases is not a list of strings",
      ],
      [
        discovery({ metadata: [{ preferred_network: HOST, preferred_cache: HOST, aliases: [7] }] }),
        "instance discovery: aliases is not a list of strings",
      ],
      [
        discovery({ metadata: [{ preferred_cache: HOST, aliases: [HOST] }] }),
        "instance discovery: preferred_network is missing",
      ],
      [
        discovery({ metadata: [{ preferred_network: HOST, aliases: [HOST] }] }),
        "instance discovery: preferred_cache is missing",
      ],
    ];
    for (const [body, message] of cases) {
      const { http } = transport(() => ({ status: 200, body }));
      await assert.rejects(
        discoverInstance(authority, http),
        refused(message),
        JSON.stringify(body),
      );
    }
  });

  it("gives the tenant's metadata URL and records the clouds it lists", async () => {
    const alias = "login.contoso-alias.example";
    const { http, asked } = transport(() => ({
      status: 200,
      body: discovery({
        metadata: [{ preferred_network: HOST, preferred_cache: alias, aliases: [HOST, alias] }],
      }),
    }));
    assert.deepEqual(hostAliases(alias), [alias]);
    assert.equal(await discoverInstance(authority, http), TENANT_DOC);
    assert.deepEqual([...hostAliases(alias)].sort(), [HOST, alias].sort());
    const asks = new URL(asked[0]);
    assert.equal(asks.searchParams.get("api-version"), "1.1");
    assert.equal(
      asks.searchParams.get("authorization_endpoint"),
      `https://${HOST}/common/oauth2/v2.0/authorize`,
    );
  });
});

/**
 * The loopback redirect URI is sent exactly as the app registered it (a trailing slash
 * included), checked against oidc-provider, which compares redirect URIs exactly (any port
 * for loopback, as RFC 8252 §7.3 asks): a dropped slash makes it answer
 * `invalid_redirect_uri`, and the sign-in would wait out its time limit.
 */

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { EntraAuthError } from "../../src/errors.ts";
import { clearAuthorityCache } from "../../src/network/authority_metadata.ts";
import { acquireByAuthCode } from "../../src/network/client.ts";
import { loopbackTarget } from "../../src/network/redirect_uri.ts";
import { type OidcProvider, startOidcProvider } from "../support/oidc_provider.ts";

describe("loopbackTarget keeps the registered form", () => {
  it("keeps a trailing slash, a path, or none", () => {
    assert.deepEqual(loopbackTarget("http://localhost"), {
      hostname: "localhost",
      port: 0,
      path: "/",
      suffix: "",
    });
    assert.equal(loopbackTarget("http://127.0.0.1/").suffix, "/");
    assert.equal(loopbackTarget("http://localhost:8765/").suffix, "/");
    assert.equal(loopbackTarget("http://localhost:8765/").port, 8765);
    assert.equal(loopbackTarget("http://127.0.0.1/cb").suffix, "/cb");
    assert.equal(loopbackTarget("http://127.0.0.1:9/cb/").suffix, "/cb/");
  });
});

describe("redirect URI sent exactly as registered (oidc-provider)", { timeout: 60_000 }, () => {
  let provider: OidcProvider;
  before(async () => {
    provider = await startOidcProvider();
    clearAuthorityCache();
  });
  after(() => provider?.close());

  for (const registered of ["http://127.0.0.1/", "http://127.0.0.1/cb"]) {
    it(`${registered} is accepted by the authorization endpoint`, async () => {
      const controller = new AbortController();
      let sent = "";
      let status = 0;
      const run = acquireByAuthCode({
        clientId: "entra-auth-oidc-test",
        authority: provider.issuer,
        authorityType: "oidc",
        scopes: [],
        redirectUri: registered,
        signal: controller.signal,
        timeoutMs: 30_000,
        openBrowser: async (url) => {
          sent = new URL(url).searchParams.get("redirect_uri") ?? "";
          const res = await fetch(url, { redirect: "manual" });
          status = res.status;
          await res.body?.cancel();
          controller.abort(); // the page is the login form: the test ends here
        },
      });
      await assert.rejects(run, (err) => err instanceof EntraAuthError && err.code === "aborted");
      assert.match(sent, new RegExp(`^http://127\\.0\\.0\\.1:\\d+${registered.slice(16)}$`));
      assert.equal(status, 303, `oidc-provider refused redirect_uri ${sent} (HTTP ${status})`);
    });
  }
});

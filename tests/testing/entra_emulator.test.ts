import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  type EmulatorServer,
  type EntraEmulator,
  TEST_CLIENT_ID,
  TEST_TENANT_ID,
} from "../../src/testing/entra_emulator/mod.ts";
import {
  ALICE_OID,
  authorizeCode,
  authorizeUrl,
  CONSENT_APP,
  decodeJson,
  makeEmulator,
  pkce,
  postForm,
  REDIRECT,
  verifyJwt,
  WEB_APP,
} from "./entra_emulator_helpers.ts";

const HOST = "login.microsoftonline.com";
const ERROR_DESCRIPTION =
  /^AADSTS(\d+): .+\r\nTrace ID: [0-9a-f-]{36}\r\nCorrelation ID: [0-9a-f-]{36}\r\nTimestamp: \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/;

async function errorOf(res: Response, status: number, error: string, code: number) {
  assert.equal(res.status, status);
  const body = await res.json() as Record<string, unknown>;
  assert.equal(body.error, error);
  assert.deepEqual(body.error_codes, [code]);
  const m = ERROR_DESCRIPTION.exec(String(body.error_description));
  assert.ok(m, `bad error_description: ${String(body.error_description)}`);
  assert.equal(m[1], String(code));
  assert.match(String(body.timestamp), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/);
  assert.match(String(body.trace_id), /^[0-9a-f-]{36}$/);
  assert.match(String(body.correlation_id), /^[0-9a-f-]{36}$/);
  return body;
}

describe("entra emulator over HTTP", () => {
  let emulator: EntraEmulator;
  let server: EmulatorServer;
  let authority: string;
  const get = (url: string, init?: RequestInit) => fetch(url, { redirect: "manual", ...init });

  before(async () => {
    emulator = makeEmulator();
    server = await emulator.listen();
    authority = `${server.url}/${HOST}/common`;
  });
  after(() => server.close());

  it("serves instance discovery with aliases and rejects unknown hosts", async () => {
    const ep = encodeURIComponent(
      `https://login.windows.net/contoso.onmicrosoft.com/oauth2/v2.0/authorize`,
    );
    const res = await get(
      `${server.url}/${HOST}/common/discovery/instance?api-version=1.1&authorization_endpoint=${ep}`,
    );
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.equal(body["api-version"], "1.1");
    assert.equal(
      body.tenant_discovery_endpoint,
      `${server.url}/login.windows.net/contoso.onmicrosoft.com/v2.0/.well-known/openid-configuration`,
    );
    const pub = body.metadata.find((m: { preferred_network: string; }) =>
      m.preferred_network === HOST
    );
    assert.equal(pub.preferred_cache, "login.windows.net");
    assert.deepEqual(pub.aliases, [
      HOST,
      "login.windows.net",
      "login.microsoft.com",
      "sts.windows.net",
    ]);
    assert.ok(
      body.metadata.some((m: { aliases: string[]; }) =>
        m.aliases.includes("login.chinacloudapi.cn")
      ),
    );

    const own = encodeURIComponent(
      `${server.url}/login.microsoftonline.us/common/oauth2/v2.0/authorize`,
    );
    const ownBody = await (await get(
      `${server.url}/common/discovery/instance?api-version=1.1&authorization_endpoint=${own}`,
    )).json();
    assert.equal(
      ownBody.tenant_discovery_endpoint,
      `${server.url}/login.microsoftonline.us/common/v2.0/.well-known/openid-configuration`,
    );

    const bad = encodeURIComponent("https://login.example.org/common/oauth2/v2.0/authorize");
    const err = await errorOf(
      await get(
        `${server.url}/common/discovery/instance?api-version=1.1&authorization_endpoint=${bad}`,
      ),
      400,
      "invalid_instance",
      50049,
    );
    assert.equal(err.error_uri, "https://login.microsoftonline.com/error?code=50049");
  });

  it("serves OIDC metadata pointing at itself, with {tenantid} for common/organizations", async () => {
    const common = await (await get(`${authority}/v2.0/.well-known/openid-configuration`)).json();
    assert.equal(common.issuer, `${server.url}/${HOST}/{tenantid}/v2.0`);
    assert.equal(common.authorization_endpoint, `${authority}/oauth2/v2.0/authorize`);
    assert.equal(common.token_endpoint, `${authority}/oauth2/v2.0/token`);
    assert.equal(common.device_authorization_endpoint, `${authority}/oauth2/v2.0/devicecode`);
    assert.equal(common.end_session_endpoint, `${authority}/oauth2/v2.0/logout`);
    assert.equal(common.jwks_uri, `${authority}/discovery/v2.0/keys`);
    assert.equal(common.cloud_instance_name, "microsoftonline.com");
    const orgs =
      await (await get(`${server.url}/${HOST}/organizations/v2.0/.well-known/openid-configuration`))
        .json();
    assert.equal(orgs.issuer, `${server.url}/${HOST}/{tenantid}/v2.0`);
    const consumers =
      await (await get(`${server.url}/${HOST}/consumers/v2.0/.well-known/openid-configuration`))
        .json();
    assert.equal(
      consumers.issuer,
      `${server.url}/${HOST}/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0`,
    );
    const byDomain = await (await get(
      `${server.url}/${HOST}/contoso.onmicrosoft.com/v2.0/.well-known/openid-configuration`,
    )).json();
    assert.equal(byDomain.issuer, `${server.url}/${HOST}/${TEST_TENANT_ID}/v2.0`);
    assert.equal(
      byDomain.token_endpoint,
      `${server.url}/${HOST}/${TEST_TENANT_ID}/oauth2/v2.0/token`,
    );
    // An alias host keeps its own endpoints but the issuer names the preferred network host.
    const alias = await (await get(
      `${server.url}/login.windows.net/common/v2.0/.well-known/openid-configuration`,
    )).json();
    assert.equal(alias.token_endpoint, `${server.url}/login.windows.net/common/oauth2/v2.0/token`);
    assert.equal(alias.issuer, `${server.url}/${HOST}/{tenantid}/v2.0`);
    const gov = await (await get(
      `${server.url}/login.microsoftonline.us/common/v2.0/.well-known/openid-configuration`,
    )).json();
    assert.equal(gov.msgraph_host, "graph.microsoft.us");
    await errorOf(
      await get(
        `${server.url}/${HOST}/nosuch.onmicrosoft.com/v2.0/.well-known/openid-configuration`,
      ),
      400,
      "invalid_tenant",
      90002,
    );
  });

  it("serves the signing key on the JWKS endpoint", async () => {
    const jwks = await (await get(`${authority}/discovery/v2.0/keys`)).json();
    assert.equal(jwks.keys.length, 1);
    const [key] = jwks.keys;
    assert.equal(key.kty, "RSA");
    assert.equal(key.use, "sig");
    assert.equal(key.e, "AQAB");
    assert.ok(key.n.length > 300);
    assert.deepEqual((await emulator.jwks()).keys[0].kid, key.kid);
  });

  it("runs authorization code + PKCE end to end with plain fetch", async () => {
    const { verifier, challenge } = await pkce();
    const auth = await get(
      authorizeUrl(authority, {
        client_id: TEST_CLIENT_ID,
        response_type: "code",
        redirect_uri: REDIRECT,
        scope: "openid profile offline_access User.Read",
        code_challenge: challenge,
        code_challenge_method: "S256",
        state: "xyz",
        nonce: "nonce-123",
        login_hint: "alice@contoso.onmicrosoft.com",
        client_info: "1",
      }),
      { headers: { "client-request-id": "8f1d2c3b-0000-4000-8000-000000000001" } },
    );
    assert.equal(auth.status, 302);
    assert.equal(auth.headers.get("client-request-id"), "8f1d2c3b-0000-4000-8000-000000000001");
    assert.match(auth.headers.get("set-cookie") ?? "", /^ESTSAUTH=/);
    const back = new URL(auth.headers.get("location") ?? "");
    assert.equal(`${back.origin}${back.pathname}`, "http://localhost:53100/callback");
    assert.equal(back.searchParams.get("state"), "xyz");
    assert.deepEqual(decodeJson(back.searchParams.get("client_info") ?? ""), {
      uid: ALICE_OID,
      utid: TEST_TENANT_ID,
    });
    const code = back.searchParams.get("code") ?? "";
    assert.ok(code.length > 20);

    const tokenUrl = `${authority}/oauth2/v2.0/token`;
    const res = await postForm(fetch, tokenUrl, {
      client_id: TEST_CLIENT_ID,
      grant_type: "authorization_code",
      code,
      redirect_uri: REDIRECT,
      code_verifier: verifier,
      scope: "openid profile offline_access User.Read",
      client_info: "1",
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("cache-control"), "no-store, no-cache");
    const body = await res.json();
    assert.equal(body.token_type, "Bearer");
    assert.equal(body.scope, "User.Read openid profile");
    assert.equal(body.expires_in, 3599);
    assert.equal(body.ext_expires_in, 3599);
    assert.equal(body.foci, "1");
    assert.equal(body.refresh_in, undefined);
    assert.ok(body.refresh_token.length > 40);
    assert.deepEqual(decodeJson(body.client_info), { uid: ALICE_OID, utid: TEST_TENANT_ID });

    const jwks = await (await get(`${authority}/discovery/v2.0/keys`)).json();
    const id = await verifyJwt(body.id_token, jwks);
    const issuer = `${server.url}/${HOST}/${TEST_TENANT_ID}/v2.0`;
    assert.equal(id.iss, issuer);
    assert.equal(id.aud, TEST_CLIENT_ID);
    assert.equal(id.oid, ALICE_OID);
    assert.equal(id.tid, TEST_TENANT_ID);
    assert.equal(id.preferred_username, "alice@contoso.onmicrosoft.com");
    assert.equal(id.name, "Alice");
    assert.equal(id.nonce, "nonce-123");
    assert.equal(id.ver, "2.0");
    assert.equal(typeof id.sub, "string");
    const now = Math.floor(Date.now() / 1000);
    assert.ok(Math.abs(Number(id.iat) - now) < 60);
    assert.equal(id.nbf, id.iat);
    assert.equal(Number(id.exp) - Number(id.iat), 3600);
    assert.ok(Math.abs(Number(id.auth_time) - now) < 60);
    const at = await verifyJwt(body.access_token, jwks);
    assert.equal(at.aud, "00000003-0000-0000-c000-000000000000");
    assert.equal(at.scp, "User.Read");
    assert.equal(at.iss, issuer);
    assert.equal(at.azp, TEST_CLIENT_ID);
    assert.equal(at.oid, ALICE_OID);
    assert.notEqual(at.sub, id.sub, "sub is pairwise per audience");

    // The code is single use.
    await errorOf(
      await postForm(fetch, tokenUrl, {
        client_id: TEST_CLIENT_ID,
        grant_type: "authorization_code",
        code,
        redirect_uri: REDIRECT,
        code_verifier: verifier,
      }),
      400,
      "invalid_grant",
      54005,
    );
  });

  it("rejects a wrong code_verifier, a different redirect_uri and an expired code", async () => {
    const tokenUrl = `${authority}/oauth2/v2.0/token`;
    const a = await authorizeCode(emulator, authority);
    await errorOf(
      await postForm(fetch, tokenUrl, {
        client_id: TEST_CLIENT_ID,
        grant_type: "authorization_code",
        code: a.params.get("code") ?? "",
        redirect_uri: REDIRECT,
        code_verifier: (await pkce()).verifier,
      }),
      400,
      "invalid_grant",
      501481,
    );
    const b = await authorizeCode(emulator, authority);
    await errorOf(
      await postForm(fetch, tokenUrl, {
        client_id: TEST_CLIENT_ID,
        grant_type: "authorization_code",
        code: b.params.get("code") ?? "",
        redirect_uri: "http://localhost:9999/callback",
        code_verifier: b.verifier,
      }),
      400,
      "invalid_grant",
      500112,
    );
    const c = await authorizeCode(emulator, authority);
    emulator.advanceTime(601);
    try {
      await errorOf(
        await postForm(fetch, tokenUrl, {
          client_id: TEST_CLIENT_ID,
          grant_type: "authorization_code",
          code: c.params.get("code") ?? "",
          redirect_uri: REDIRECT,
          code_verifier: c.verifier,
        }),
        400,
        "invalid_grant",
        70008,
      );
    } finally {
      emulator.advanceTime(-601);
    }
  });

  it("validates authorize requests the way Entra does", async () => {
    const { challenge } = await pkce();
    const base = {
      client_id: TEST_CLIENT_ID,
      response_type: "code",
      redirect_uri: REDIRECT,
      scope: "openid User.Read",
      code_challenge: challenge,
      code_challenge_method: "S256",
      state: "s1",
      login_hint: "alice@contoso.onmicrosoft.com",
    };
    const unknown = await get(
      authorizeUrl(authority, { ...base, client_id: "99999999-0000-4000-8000-000000000000" }),
    );
    assert.equal(unknown.status, 400);
    assert.match(await unknown.text(), /AADSTS700016/);
    const badRedirect = await get(
      authorizeUrl(authority, { ...base, redirect_uri: "https://evil.example/cb" }),
    );
    assert.equal(badRedirect.status, 400);
    assert.equal(badRedirect.headers.get("location"), null);
    assert.match(
      await badRedirect.text(),
      /AADSTS50011: The redirect URI &#39;https:\/\/evil.example\/cb&#39;/,
    );
    // Loopback redirect URIs match any port; 127.0.0.1 is distinct from localhost.
    const otherPort = await get(
      authorizeUrl(authority, { ...base, redirect_uri: "http://localhost:1/callback" }),
    );
    assert.equal(otherPort.status, 302);
    const wrongPath = await get(
      authorizeUrl(authority, { ...base, redirect_uri: "http://localhost:1/other" }),
    );
    assert.equal(wrongPath.status, 400);

    const expectRedirectError = async (
      params: Record<string, string>,
      error: string,
      code: number,
    ) => {
      const res = await get(authorizeUrl(authority, params));
      assert.equal(res.status, 302);
      const q = new URL(res.headers.get("location") ?? "").searchParams;
      assert.equal(q.get("error"), error);
      assert.match(q.get("error_description") ?? "", new RegExp(`^AADSTS${code}: `));
      assert.equal(q.get("state"), "s1");
      assert.equal(q.get("code"), null);
    };
    const { code_challenge: _c, ...noPkce } = base;
    await expectRedirectError(noPkce, "invalid_request", 9002325);
    await expectRedirectError(
      { ...base, code_challenge_method: "plain" },
      "invalid_request",
      9002326,
    );
    await expectRedirectError(
      { ...base, response_type: "token" },
      "unsupported_response_type",
      700051,
    );
    await expectRedirectError(
      { ...base, scope: "https://graph.microsoft.com/User.Read api://x/y" },
      "invalid_scope",
      28000,
    );
    await expectRedirectError({ ...base, prompt: "bogus" }, "invalid_request", 90023);
    await expectRedirectError({ ...base, claims: "{not json" }, "invalid_request", 90100);
    // A confidential client needs no PKCE.
    const web = await get(authorizeUrl(authority, {
      client_id: WEB_APP,
      response_type: "code",
      redirect_uri: "https://web.example/cb",
      scope: "openid",
      login_hint: "alice@contoso.onmicrosoft.com",
      response_mode: "fragment",
      state: "f",
    }));
    assert.equal(web.status, 302);
    const frag = new URLSearchParams(new URL(web.headers.get("location") ?? "").hash.slice(1));
    assert.ok(frag.get("code"));
    assert.equal(frag.get("state"), "f");
  });

  it("signs in through the HTML form when there is no login_hint", async () => {
    const { challenge } = await pkce();
    const page = await get(authorizeUrl(authority, {
      client_id: TEST_CLIENT_ID,
      response_type: "code",
      redirect_uri: REDIRECT,
      scope: "openid",
      code_challenge: challenge,
      code_challenge_method: "S256",
      state: "form",
    }));
    assert.equal(page.status, 200);
    const html = await page.text();
    const action = /<form id="login" method="POST" action="([^"]+)"/.exec(html)?.[1] ?? "";
    const ctx = /name="ctx" value="([^"]+)"/.exec(html)?.[1] ?? "";
    assert.equal(action, `${authority}/login`);
    const wrong = await postForm(fetch, action, {
      ctx,
      username: "alice@contoso.onmicrosoft.com",
      password: "nope",
    });
    assert.equal(wrong.status, 200);
    assert.match(await wrong.text(), /AADSTS50126/);
    const ok = await postForm(fetch, action, {
      ctx,
      username: "alice@contoso.onmicrosoft.com",
      password: "pw-alice",
    });
    assert.equal(ok.status, 302);
    const q = new URL(ok.headers.get("location") ?? "").searchParams;
    assert.ok(q.get("code"));
    assert.equal(q.get("state"), "form");
    assert.match(ok.headers.get("set-cookie") ?? "", /ESTSAUTH=/);

    // A user from another tenant cannot sign in through a tenant authority.
    const contoso = `${server.url}/${HOST}/contoso.onmicrosoft.com`;
    const tenantPage = await get(authorizeUrl(contoso, {
      client_id: TEST_CLIENT_ID,
      response_type: "code",
      redirect_uri: REDIRECT,
      scope: "openid",
      code_challenge: challenge,
      code_challenge_method: "S256",
    }));
    const tenantCtx = /name="ctx" value="([^"]+)"/.exec(await tenantPage.text())?.[1] ?? "";
    const outsider = await postForm(fetch, `${contoso}/login`, {
      ctx: tenantCtx,
      username: "bob@fabrikam.onmicrosoft.com",
    });
    assert.equal(outsider.status, 200);
    assert.match(await outsider.text(), /AADSTS50020: User account &#39;bob@fabrikam/);
    const unknownUser = await postForm(fetch, `${contoso}/login`, {
      ctx: tenantCtx,
      username: "eve@x",
    });
    assert.match(await unknownUser.text(), /AADSTS50034/);
  });

  it("honours prompt=none, max_age, prompt=consent and select_account", async () => {
    const noSession = await authorizeCode(emulator, authority, { prompt: "none" });
    assert.equal(noSession.params.get("error"), "login_required");
    assert.match(noSession.params.get("error_description") ?? "", /^AADSTS50058: /);
    assert.equal(noSession.params.get("state"), "st-1");

    const signedIn = await authorizeCode(emulator, authority);
    const cookie = (signedIn.res.headers.get("set-cookie") ?? "").split(";")[0];
    const { challenge } = await pkce();
    const silent = await get(
      authorizeUrl(authority, {
        client_id: TEST_CLIENT_ID,
        response_type: "code",
        redirect_uri: REDIRECT,
        scope: "openid",
        code_challenge: challenge,
        code_challenge_method: "S256",
        prompt: "none",
        state: "silent",
      }),
      { headers: { cookie } },
    );
    assert.equal(silent.status, 302);
    assert.ok(new URL(silent.headers.get("location") ?? "").searchParams.get("code"));

    emulator.advanceTime(120);
    try {
      const stale = await get(
        authorizeUrl(authority, {
          client_id: TEST_CLIENT_ID,
          response_type: "code",
          redirect_uri: REDIRECT,
          scope: "openid",
          code_challenge: challenge,
          code_challenge_method: "S256",
          prompt: "none",
          max_age: "60",
        }),
        { headers: { cookie } },
      );
      assert.equal(
        new URL(stale.headers.get("location") ?? "").searchParams.get("error"),
        "login_required",
      );
    } finally {
      emulator.advanceTime(-120);
    }

    const consentNone = await get(
      authorizeUrl(authority, {
        client_id: CONSENT_APP,
        response_type: "code",
        redirect_uri: REDIRECT,
        scope: "openid",
        code_challenge: challenge,
        code_challenge_method: "S256",
        prompt: "none",
      }),
      { headers: { cookie } },
    );
    assert.equal(
      new URL(consentNone.headers.get("location") ?? "").searchParams.get("error"),
      "consent_required",
    );

    const consent = await get(
      authorizeUrl(authority, {
        client_id: CONSENT_APP,
        response_type: "code",
        redirect_uri: REDIRECT,
        scope: "openid",
        code_challenge: challenge,
        code_challenge_method: "S256",
        state: "c",
      }),
      { headers: { cookie } },
    );
    assert.equal(consent.status, 200);
    const html = await consent.text();
    assert.match(html, /<form id="consent"/);
    const ctx = /name="ctx" value="([^"]+)"/.exec(html)?.[1] ?? "";
    const accepted = await postForm(fetch, `${authority}/consent`, { ctx, action: "accept" });
    assert.equal(accepted.status, 302);
    assert.ok(new URL(accepted.headers.get("location") ?? "").searchParams.get("code"));

    const consent2 = await get(
      authorizeUrl(authority, {
        client_id: TEST_CLIENT_ID,
        response_type: "code",
        redirect_uri: REDIRECT,
        scope: "openid",
        code_challenge: challenge,
        code_challenge_method: "S256",
        prompt: "consent",
        state: "c2",
      }),
      { headers: { cookie } },
    );
    const ctx2 = /name="ctx" value="([^"]+)"/.exec(await consent2.text())?.[1] ?? "";
    const declined = await postForm(fetch, `${authority}/consent`, { ctx: ctx2, action: "cancel" });
    const dq = new URL(declined.headers.get("location") ?? "").searchParams;
    assert.equal(dq.get("error"), "access_denied");
    assert.equal(dq.get("state"), "c2");

    const picker = await get(
      authorizeUrl(authority, {
        client_id: TEST_CLIENT_ID,
        response_type: "code",
        redirect_uri: REDIRECT,
        scope: "openid",
        code_challenge: challenge,
        code_challenge_method: "S256",
        prompt: "select_account",
      }),
      { headers: { cookie } },
    );
    const pickerHtml = await picker.text();
    assert.match(pickerHtml, new RegExp(`name="account" value="${ALICE_OID}"`));
    const ctx3 = /name="ctx" value="([^"]+)"/.exec(pickerHtml)?.[1] ?? "";
    const picked = await postForm(fetch, `${authority}/select_account`, {
      ctx: ctx3,
      account: ALICE_OID,
    }, { cookie });
    assert.equal(picked.status, 302);

    // prompt=login ignores the session but auto-login with login_hint re-authenticates.
    const relogin = await get(
      authorizeUrl(authority, {
        client_id: TEST_CLIENT_ID,
        response_type: "code",
        redirect_uri: REDIRECT,
        scope: "openid",
        code_challenge: challenge,
        code_challenge_method: "S256",
        prompt: "login",
      }),
      { headers: { cookie } },
    );
    assert.equal(relogin.status, 200);
    assert.match(await relogin.text(), /<form id="login"/);

    const logout = await get(
      `${authority}/oauth2/v2.0/logout?post_logout_redirect_uri=${
        encodeURIComponent(REDIRECT)
      }&state=bye`,
      { headers: { cookie } },
    );
    assert.equal(logout.status, 302);
    assert.equal(new URL(logout.headers.get("location") ?? "").searchParams.get("state"), "bye");
    assert.match(logout.headers.get("set-cookie") ?? "", /Max-Age=0/);
    const after = await get(
      authorizeUrl(authority, {
        client_id: TEST_CLIENT_ID,
        response_type: "code",
        redirect_uri: REDIRECT,
        scope: "openid",
        code_challenge: challenge,
        code_challenge_method: "S256",
        prompt: "none",
      }),
      { headers: { cookie } },
    );
    assert.equal(
      new URL(after.headers.get("location") ?? "").searchParams.get("error"),
      "login_required",
    );
  });

  it("authenticates clients at the token endpoint", async () => {
    const tokenUrl = `${authority}/oauth2/v2.0/token`;
    await errorOf(
      await postForm(fetch, tokenUrl, { grant_type: "refresh_token" }),
      400,
      "invalid_request",
      900144,
    );
    await errorOf(
      await postForm(fetch, tokenUrl, {
        grant_type: "refresh_token",
        client_id: "99999999-0000-4000-8000-000000000000",
      }),
      400,
      "unauthorized_client",
      700016,
    );
    await errorOf(
      await postForm(fetch, tokenUrl, {
        grant_type: "refresh_token",
        client_id: TEST_CLIENT_ID,
        client_secret: "x",
      }),
      401,
      "invalid_client",
      700025,
    );
    await errorOf(
      await postForm(fetch, tokenUrl, { grant_type: "refresh_token", client_id: WEB_APP }),
      401,
      "invalid_client",
      7000218,
    );
    await errorOf(
      await postForm(fetch, tokenUrl, {
        grant_type: "refresh_token",
        client_id: WEB_APP,
        client_secret: "wrong",
      }),
      401,
      "invalid_client",
      7000215,
    );
    await errorOf(
      await postForm(fetch, tokenUrl, {
        grant_type: "client_secret_magic",
        client_id: TEST_CLIENT_ID,
      }),
      400,
      "unsupported_grant_type",
      70003,
    );
    await errorOf(await get(tokenUrl), 400, "invalid_request", 900561);
  });

  it("supports the password grant", async () => {
    const tokenUrl = `${authority}/oauth2/v2.0/token`;
    const ok = await postForm(fetch, tokenUrl, {
      grant_type: "password",
      client_id: TEST_CLIENT_ID,
      username: "alice@contoso.onmicrosoft.com",
      password: "pw-alice",
      scope: "openid offline_access https://management.azure.com/user_impersonation",
    });
    const body = await ok.json();
    assert.equal(body.scope, "https://management.azure.com/user_impersonation openid");
    assert.ok(body.refresh_token);
    const jwks = await emulator.jwks();
    assert.equal((await verifyJwt(body.access_token, jwks)).aud, "https://management.azure.com");
    await errorOf(
      await postForm(fetch, tokenUrl, {
        grant_type: "password",
        client_id: TEST_CLIENT_ID,
        username: "alice@contoso.onmicrosoft.com",
        password: "bad",
        scope: "openid",
      }),
      400,
      "invalid_grant",
      50126,
    );
  });
});

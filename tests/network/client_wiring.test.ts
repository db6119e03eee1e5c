/**
 * The flows' wiring in `src/network/client.ts` beyond the happy paths of flows.test.ts: what
 * is refused before anything starts (no client id, no refresh token, a signal aborted
 * already), the texts a user sees, the waiting notice of the browser sign-in (the logger at
 * `info`, else stderr when the system browser was used; never `login_hint`), cancels while
 * an app's callback never settles, the device code endpoint of authorities without one in
 * their metadata, `client_info` and `claims` in each form, and how a refused family refresh
 * token is reported. Against the Entra ID emulator.
 */

import assert from "node:assert/strict";
import { getEventListeners } from "node:events";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { beforeEach, describe, it } from "node:test";
import { EntraAuthError, InteractionRequiredError, ServerError } from "../../src/errors.ts";
import { Logger, type LogLevel } from "../../src/logger.ts";
import { clearAuthorityCache, type OidcMetadata } from "../../src/network/authority_metadata.ts";
import {
  acquireByAuthCode,
  acquireByDeviceCode,
  acquireByRefreshToken,
  type DeviceCodeInfo,
} from "../../src/network/client.ts";
import type { FetchLike } from "../../src/network/http.ts";
import { base64urlEncode, decodeBase64urlJson } from "../../src/network/validate.ts";
import type { EntraEmulator } from "../../src/testing/entra_emulator/mod.ts";
import {
  ALICE,
  FAMILY_APP,
  fetchBrowser,
  LONE_APP,
  makeNetworkEmulator,
  TEST_CLIENT_ID,
} from "../support/network_emulator.ts";

const AUTHORITY = "https://login.microsoftonline.com/contoso.onmicrosoft.com";
const CLAIMS = "{\"id_token\":{\"acrs\":{\"essential\":true,\"values\":[\"c1\"]}}}";
const MERGED = "{\"id_token\":{\"acrs\":{\"essential\":true,\"values\":[\"c1\"]}},"
  + "\"access_token\":{\"xms_cc\":{\"values\":[\"CP1\"]}}}";

beforeEach(() => clearAuthorityCache());

/** `p`, or a failure after `ms` (a wait that never ends must fail the test, not hang it). */
async function within<T>(ms: number, p: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`did not settle within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, limit]);
  } finally {
    clearTimeout(timer);
  }
}

/** The error `p` rejects with (within `ms`), checked to be an EntraAuthError of `code`. */
async function failure(
  p: Promise<unknown>,
  code: string,
  ms = 20_000,
): Promise<EntraAuthError> {
  const err = await within(ms, p.then(() => undefined, (e: unknown) => e));
  assert.ok(err instanceof EntraAuthError, `expected ${code}, got ${String(err)}`);
  assert.equal(err.code, code, err.message);
  return err;
}

/** The emulator's fetch, counting the URLs asked for. */
function counted(emulator: EntraEmulator): { fetch: FetchLike; urls: string[]; } {
  const urls: string[] = [];
  const fetch: FetchLike = (input, init) => {
    urls.push(input instanceof Request ? input.url : String(input));
    return emulator.fetch(input, init);
  };
  return { fetch, urls };
}

/** The emulator's fetch, with the token endpoint's JSON reply edited. */
function editTokenReply(
  emulator: EntraEmulator,
  edit: (body: Record<string, unknown>) => Record<string, unknown>,
  status?: number,
): FetchLike {
  return async (input, init) => {
    const res = await emulator.fetch(input, init);
    const url = input instanceof Request ? input.url : String(input);
    if (!url.endsWith("/oauth2/v2.0/token")) return res;
    const body = edit(await res.json() as Record<string, unknown>);
    return new Response(JSON.stringify(body), {
      status: status ?? res.status,
      headers: { "content-type": "application/json" },
    });
  };
}

/** The emulator's OpenID configuration of AUTHORITY. */
async function metadataOf(emulator: EntraEmulator): Promise<OidcMetadata> {
  const res = await emulator.fetch(`${AUTHORITY}/v2.0/.well-known/openid-configuration`);
  return await res.json() as OidcMetadata;
}

/** A logger that keeps what it is given, at `level` and above. */
function keptLog(level: LogLevel = "info") {
  const lines: { level: LogLevel; message: string; }[] = [];
  const logger = new Logger({
    level,
    loggerCallback: (l, message) => lines.push({ level: l, message }),
  });
  return { logger, lines };
}

/** Runs `body` with console.error captured. */
async function withStderr<T>(
  body: (lines: string[]) => Promise<T>,
): Promise<T> {
  const lines: string[] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => {
    lines.push(args.map(String).join(" "));
  };
  try {
    return await body(lines);
  } finally {
    console.error = original;
  }
}

/** Runs `body` with these environment variables set (undefined: removed), then restores. */
async function withEnv<T>(
  vars: Record<string, string | undefined>,
  body: () => Promise<T>,
): Promise<T> {
  const saved: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(vars)) {
    saved[name] = process.env[name];
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  try {
    return await body();
  } finally {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

function signIn(emulator: EntraEmulator, extra: Record<string, unknown> = {}) {
  return acquireByAuthCode({
    clientId: TEST_CLIENT_ID,
    authority: AUTHORITY,
    scopes: ["User.Read"],
    loginHint: ALICE,
    fetch: emulator.fetch,
    openBrowser: fetchBrowser(emulator),
    timeoutMs: 10_000,
    ...extra,
  });
}

function deviceCode(emulator: EntraEmulator, extra: Record<string, unknown> = {}) {
  const shown: DeviceCodeInfo[] = [];
  const run = acquireByDeviceCode({
    clientId: TEST_CLIENT_ID,
    authority: AUTHORITY,
    scopes: ["User.Read"],
    fetch: emulator.fetch,
    deviceCodeCallback: (info) => {
      shown.push(info);
    },
    delay: () => {
      if (shown.length > 0) emulator.approveDeviceCode(shown[0].userCode, ALICE);
      return Promise.resolve();
    },
    ...extra,
  });
  return { run, shown };
}

function refresh(emulator: EntraEmulator, extra: Record<string, unknown> = {}) {
  return acquireByRefreshToken({
    clientId: TEST_CLIENT_ID,
    authority: AUTHORITY,
    scopes: ["User.Read"],
    refreshToken: "rt",
    fetch: emulator.fetch,
    ...extra,
  });
}

/** Alice's refresh token for the test app (a family "1" token), by device code. */
async function aliceRefreshToken(emulator: EntraEmulator): Promise<string> {
  const { response } = await within(20_000, deviceCode(emulator).run);
  assert.equal(response.foci, "1");
  return response.refresh_token!;
}

describe("refused before anything starts", () => {
  it("a missing or empty client id, in each flow, with nothing requested", async () => {
    for (const clientId of ["", undefined, 42]) {
      const emulator = makeNetworkEmulator();
      const { fetch, urls } = counted(emulator);
      let opened = 0;
      const runs = [
        signIn(emulator, {
          clientId,
          fetch,
          openBrowser: () => {
            opened++;
          },
        }),
        deviceCode(emulator, { clientId, fetch }).run,
        refresh(emulator, { clientId, fetch }),
      ];
      for (const run of runs) {
        const err = await failure(run, "invalid_argument");
        assert.equal(err.message, "clientId is required");
      }
      assert.deepEqual(urls, []);
      assert.equal(opened, 0);
    }
  });

  it("a missing or empty refresh token, with nothing requested", async () => {
    for (const refreshToken of ["", undefined]) {
      const emulator = makeNetworkEmulator();
      const { fetch, urls } = counted(emulator);
      const err = await failure(refresh(emulator, { refreshToken, fetch }), "invalid_argument");
      assert.equal(err.message, "refreshToken is required");
      assert.deepEqual(urls, []);
    }
  });

  it("a signal aborted already: no request, no browser, no callback", async () => {
    const emulator = makeNetworkEmulator();
    const metadata = await metadataOf(emulator);
    const reason = new Error("the app's reason");
    const signal = AbortSignal.abort(reason);
    const { fetch, urls } = counted(emulator);
    let opened = 0;
    const shown: DeviceCodeInfo[] = [];
    // The metadata given: without the check, nothing else would stop the flows from starting.
    const common = { fetch, signal, authorityMetadata: metadata };
    const runs = [
      signIn(emulator, {
        ...common,
        openBrowser: () => {
          opened++;
        },
      }),
      acquireByDeviceCode({
        clientId: TEST_CLIENT_ID,
        authority: AUTHORITY,
        scopes: ["User.Read"],
        deviceCodeCallback: (info) => {
          shown.push(info);
        },
        delay: () => Promise.resolve(),
        ...common,
      }),
      refresh(emulator, common),
    ];
    for (const run of runs) {
      const err = await failure(run, "aborted", 5_000);
      assert.equal(err.message, "The sign-in was canceled by the application.");
      assert.equal(err.cause, reason);
    }
    assert.deepEqual(urls, []);
    assert.equal(opened, 0);
    assert.equal(shown.length, 0);
  });
});

describe("the browser sign-in's wiring", () => {
  it("logs the port and the URL to open at info, without login_hint; nothing on stderr", {
    timeout: 30_000,
  }, async () => {
    const emulator = makeNetworkEmulator();
    const { logger, lines } = keptLog("info");
    const opened: string[] = [];
    const browser = fetchBrowser(emulator);
    const stderr = await withStderr(async (stderr) => {
      await within(
        20_000,
        signIn(emulator, {
          logger,
          openBrowser: (url: string) => {
            opened.push(url);
            return browser(url);
          },
        }),
      );
      return stderr;
    });
    assert.deepEqual(stderr, []);
    assert.equal(opened.length, 1);
    const shown = new URL(opened[0]);
    assert.equal(shown.searchParams.get("login_hint"), ALICE);
    shown.searchParams.delete("login_hint");
    const port = new URL(shown.searchParams.get("redirect_uri")!).port;
    const info = lines.filter((l) => l.level === "info").map((l) => l.message);
    assert.deepEqual(info, [
      `interactive sign-in: waiting on 127.0.0.1:${port}`,
      "Waiting for the sign-in in the browser. If no browser opened, open this URL: "
      + shown.href,
    ]);
    assert.ok(!lines.some((l) => l.message.includes(ALICE)), "login_hint reached the log");
    assert.ok(info[1].includes("state="), "the notice lost the URL's other parameters");
  });

  it("says nothing when the app opens the browser itself and logs nothing at info", {
    timeout: 30_000,
  }, async () => {
    for (const logger of [undefined, keptLog("warning").logger]) {
      const emulator = makeNetworkEmulator();
      const stderr = await withStderr(async (stderr) => {
        await within(20_000, signIn(emulator, { logger }));
        return stderr;
      });
      assert.deepEqual(stderr, []);
    }
  });

  it("tells stderr the URL (without login_hint) when the system browser was used", {
    timeout: 30_000,
    skip: process.platform !== "linux",
  }, async () => {
    const emulator = makeNetworkEmulator();
    const bin = mkdtempSync(join(tmpdir(), "entra-auth-wiring-"));
    try {
      // An xdg-open that notes the URL it was given and opens nothing: the test plays the
      // user who opens the URL from the notice by hand.
      const noted = join(bin, "opened");
      writeFileSync(join(bin, "xdg-open"), `#!/bin/sh\nprintf '%s\\n' "$1" >> '${noted}'\n`);
      chmodSync(join(bin, "xdg-open"), 0o755);
      const browser = fetchBrowser(emulator);
      const env = {
        DISPLAY: ":0",
        WAYLAND_DISPLAY: undefined,
        SSH_CONNECTION: undefined,
        SSH_CLIENT: undefined,
        SSH_TTY: undefined,
        PATH: `${bin}:${process.env.PATH ?? "/usr/bin:/bin"}`,
      };
      for (const logger of [undefined, keptLog("warning").logger]) {
        const stderr = await withEnv(env, () =>
          withStderr(async (stderr) => {
            const run = signIn(emulator, { openBrowser: undefined, logger });
            run.catch(() => {}); // awaited below, unless the notice never came
            // The user reads the notice and opens its URL.
            const prefix = "entra-auth: Waiting for the sign-in in the browser. "
              + "If no browser opened, open this URL: ";
            const deadline = Date.now() + 10_000;
            while (!stderr.some((l) => l.startsWith(prefix)) && Date.now() < deadline) {
              await new Promise((r) => setTimeout(r, 20));
            }
            const line = stderr.find((l) => l.startsWith(prefix));
            assert.ok(line, `no notice on stderr: ${JSON.stringify(stderr)}`);
            const url = new URL(line.slice(prefix.length));
            assert.equal(url.searchParams.get("login_hint"), null);
            // The system browser was given the whole URL, login_hint included.
            const opened = new URL(readFileSync(noted, "utf8").trim().split("\n").at(-1)!);
            assert.equal(opened.searchParams.get("login_hint"), ALICE);
            opened.searchParams.delete("login_hint");
            assert.equal(url.href, opened.href);
            url.searchParams.set("login_hint", ALICE);
            await browser(url.href);
            const { response } = await within(20_000, run);
            assert.equal(typeof response.access_token, "string");
            return stderr;
          }));
        assert.equal(stderr.length, 1);
        assert.ok(!stderr[0].includes(ALICE));
      }
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });

  it("reads the environment only for the system browser", { timeout: 30_000 }, async () => {
    const emulator = makeNetworkEmulator();
    const { fetch, urls } = counted(emulator);
    await withEnv({ SSH_CONNECTION: "10.0.0.1 22 10.0.0.2 22" }, async () => {
      const { response } = await within(20_000, signIn(emulator));
      assert.equal(typeof response.access_token, "string");
      clearAuthorityCache(); // the check comes before the authority's metadata is asked for
      const err = await failure(signIn(emulator, { fetch, openBrowser: undefined }), "no_browser");
      assert.match(err.message, /SSH/);
    });
    assert.deepEqual(urls, []);
  });

  it("an opener that never settles does not outlast the time limit", async () => {
    const emulator = makeNetworkEmulator();
    const started = Date.now();
    await failure(
      signIn(emulator, { openBrowser: () => new Promise<void>(() => {}), timeoutMs: 200 }),
      "timeout",
      5_000,
    );
    assert.ok(Date.now() - started < 5_000);
  });

  it("sends client_info and the claims with the code; neither client_info for OIDC", {
    timeout: 30_000,
  }, async () => {
    const emulator = makeNetworkEmulator();
    const { context } = await within(
      20_000,
      signIn(emulator, { claims: CLAIMS, clientCapabilities: ["CP1"] }),
    );
    assert.equal(context.claims, CLAIMS);
    const token = emulator.requests().find((r) => r.endpoint === "token")!;
    assert.equal(token.form.client_info, "1");
    assert.equal(token.form.claims, MERGED);

    const metadata = await metadataOf(emulator);
    const oidc = makeNetworkEmulator();
    const { response, context: generic } = await within(
      20_000,
      signIn(oidc, { authorityType: "oidc", authorityMetadata: metadata, claims: "" }),
    );
    assert.equal(typeof response.access_token, "string");
    assert.ok(!("claims" in generic), "an empty claims request kept in the context");
    const authorize = oidc.requests().find((r) => r.endpoint === "authorize")!;
    assert.equal(authorize.query.client_info, undefined);
    const oidcToken = oidc.requests().find((r) => r.endpoint === "token")!;
    assert.equal(oidcToken.form.client_info, undefined);
    assert.equal(oidcToken.form.claims, undefined);
  });

  it("checks auth_time against max_age", { timeout: 30_000 }, async () => {
    const emulator = makeNetworkEmulator();
    const withoutAuthTime = editTokenReply(emulator, (body) => {
      const [header, payload, signature] = String(body.id_token).split(".");
      const claims = decodeBase64urlJson(payload, "id_token");
      delete claims.auth_time;
      const encoded = base64urlEncode(new TextEncoder().encode(JSON.stringify(claims)));
      return { ...body, id_token: `${header}.${encoded}.${signature}` };
    });
    const ok = await within(20_000, signIn(emulator, { fetch: withoutAuthTime }));
    assert.equal(ok.idTokenClaims?.auth_time, undefined);
    const err = await failure(
      signIn(emulator, { fetch: withoutAuthTime, maxAge: 3600 }),
      "invalid_response",
    );
    assert.match(err.message, /auth_time is missing although max_age was requested/);
  });

  it("says what was refused: the code, with the server's description or its error", {
    timeout: 30_000,
  }, async () => {
    const emulator = makeNetworkEmulator();
    emulator.addFault({
      kind: "error",
      error: "invalid_grant",
      code: 70008,
      description: "The code has expired.",
      match: { endpoint: "token", grantType: "authorization_code" },
    });
    const described = await failure(signIn(emulator), "invalid_grant");
    assert.ok(described instanceof ServerError);
    assert.match(described.errorDescription ?? "", /^AADSTS70008: The code has expired\./);
    assert.equal(
      described.message,
      `The authorization code was refused (${described.errorDescription}). Sign in again.`,
    );
    assert.equal(described.error, "invalid_grant");
    assert.equal(described.httpStatus, 400);

    const bare = editTokenReply(emulator, () => ({ error: "invalid_grant" }), 400);
    const plain = await failure(signIn(emulator, { fetch: bare }), "invalid_grant");
    assert.equal(
      plain.message,
      "The authorization code was refused (invalid_grant). Sign in again.",
    );
  });

  it("keeps other refusals of the code as they are", { timeout: 30_000 }, async () => {
    const emulator = makeNetworkEmulator();
    emulator.addFault({
      kind: "error",
      error: "interaction_required",
      match: { endpoint: "token", grantType: "authorization_code" },
    });
    const ir = await failure(signIn(emulator), "interaction_required");
    assert.ok(ir instanceof InteractionRequiredError);
    assert.equal(ir.server?.error, "interaction_required");
    emulator.addFault({
      kind: "error",
      error: "invalid_scope",
      match: { endpoint: "token", grantType: "authorization_code" },
    });
    const scope = await failure(signIn(emulator), "server_error");
    assert.equal((scope as ServerError).error, "invalid_scope");
    emulator.addFault({ kind: "malformed_json", match: { endpoint: "token" } });
    const malformed = await failure(signIn(emulator), "invalid_response");
    assert.match(malformed.message, /\(authorization code redemption: the body is not JSON\)/);
  });
});

describe("the device code flow's wiring", () => {
  it("sends client_info and the claims in both requests; keeps the claims in the context", {
    timeout: 30_000,
  }, async () => {
    const emulator = makeNetworkEmulator();
    const { context } = await within(
      20_000,
      deviceCode(emulator, { claims: CLAIMS, clientCapabilities: ["CP1"] }).run,
    );
    assert.equal(context.claims, CLAIMS);
    assert.ok(Math.abs(context.requestedAt - Date.now() / 1000) < 60);
    const dc = emulator.requests().find((r) => r.endpoint === "devicecode")!;
    assert.equal(dc.form.claims, MERGED);
    // The metadata's endpoint (named by the tenant's id), not the default one.
    const named = new URL((await metadataOf(emulator)).device_authorization_endpoint!);
    assert.equal(dc.path, named.pathname);
    assert.notEqual(named.href, `${AUTHORITY}/oauth2/v2.0/devicecode`);
    const token = emulator.requests().find((r) => r.endpoint === "token")!;
    assert.equal(token.form.claims, MERGED);
    assert.equal(token.form.client_info, "1");
  });

  it("asks an Entra authority's default endpoint when its metadata names none", {
    timeout: 30_000,
  }, async () => {
    const emulator = makeNetworkEmulator();
    const metadata = await metadataOf(emulator);
    delete metadata.device_authorization_endpoint;
    const { fetch, urls } = counted(emulator);
    const { response } = await within(
      20_000,
      deviceCode(emulator, { fetch, authorityMetadata: metadata }).run,
    );
    assert.equal(typeof response.access_token, "string");
    assert.equal(urls[0], `${AUTHORITY}/oauth2/v2.0/devicecode`);
  });

  it("refuses an OpenID Connect provider without a device code endpoint", async () => {
    const emulator = makeNetworkEmulator();
    const metadata = await metadataOf(emulator);
    delete metadata.device_authorization_endpoint;
    const { fetch, urls } = counted(emulator);
    const { run, shown } = deviceCode(emulator, {
      fetch,
      authorityType: "oidc",
      authorityMetadata: metadata,
    });
    const err = await failure(run, "invalid_argument");
    assert.equal(
      err.message,
      `${AUTHORITY} does not support the device code flow (its metadata has no `
        + "device_authorization_endpoint).",
    );
    assert.deepEqual(urls, []);
    assert.equal(shown.length, 0);
  });

  it("uses an OpenID Connect provider's endpoint, without client_info", {
    timeout: 30_000,
  }, async () => {
    const emulator = makeNetworkEmulator();
    const metadata = await metadataOf(emulator);
    const { response, context } = await within(
      20_000,
      deviceCode(emulator, { authorityType: "oidc", authorityMetadata: metadata }).run,
    );
    assert.equal(typeof response.access_token, "string");
    assert.equal(context.authorityType, "Generic");
    assert.ok(!("claims" in context), "no claims requested, yet a claims key in the context");
    const dc = emulator.requests().find((r) => r.endpoint === "devicecode")!;
    assert.equal(dc.form.client_info, undefined);
    const token = emulator.requests().find((r) => r.endpoint === "token")!;
    assert.equal(token.form.client_info, undefined);
  });

  it("leaves no listener on the app's signal once done", { timeout: 30_000 }, async () => {
    // A long-lived signal shared by many sign-ins would otherwise collect one listener (and
    // what it holds) per sign-in; Node warns of a leak after ten.
    const emulator = makeNetworkEmulator();
    const controller = new AbortController();
    const { response } = await within(
      20_000,
      deviceCode(emulator, { signal: controller.signal }).run,
    );
    assert.equal(typeof response.access_token, "string");
    assert.deepEqual(getEventListeners(controller.signal, "abort"), []);
  });

  it("a cancel ends the wait for a callback that never settles", async () => {
    const emulator = makeNetworkEmulator();
    const reason = new Error("the app's reason");
    const controller = new AbortController();
    let called = 0;
    const run = acquireByDeviceCode({
      clientId: TEST_CLIENT_ID,
      authority: AUTHORITY,
      scopes: ["User.Read"],
      fetch: emulator.fetch,
      signal: controller.signal,
      deviceCodeCallback: () => {
        called++;
        setTimeout(() => controller.abort(reason), 50);
        return new Promise<void>(() => {});
      },
      delay: () => Promise.resolve(),
    });
    const err = await failure(run, "aborted", 5_000);
    assert.equal(err.message, "The device code sign-in was canceled by the application.");
    assert.equal(err.cause, reason);
    assert.equal(called, 1);
    assert.ok(!emulator.requests().some((r) => r.endpoint === "token"));
  });

  it("a cancel just as the code arrived ends the wait for the callback", async () => {
    const emulator = makeNetworkEmulator();
    const reason = new Error("the app's reason");
    const controller = new AbortController();
    // The app cancels while the device code reply is being handled (after its request was
    // done, before the callback's wait began): the reply's status is read there.
    const fetch: FetchLike = async (input, init) => {
      const res = await emulator.fetch(input, init);
      const url = input instanceof Request ? input.url : String(input);
      if (!url.endsWith("/devicecode")) return res;
      const status = res.status;
      Object.defineProperty(res, "status", {
        get() {
          controller.abort(reason);
          return status;
        },
      });
      return res;
    };
    let called = 0;
    const run = acquireByDeviceCode({
      clientId: TEST_CLIENT_ID,
      authority: AUTHORITY,
      scopes: ["User.Read"],
      fetch,
      signal: controller.signal,
      deviceCodeCallback: () => {
        called++;
        return new Promise<void>(() => {});
      },
    });
    const err = await failure(run, "aborted", 5_000);
    assert.equal(err.message, "The device code sign-in was canceled by the application.");
    assert.equal(err.cause, reason);
    assert.ok(!emulator.requests().some((r) => r.endpoint === "token"));
    assert.ok(called <= 1);
  });
});

describe("the refresh token's wiring", () => {
  it("sends the claims, and client_info for Entra only", { timeout: 30_000 }, async () => {
    const emulator = makeNetworkEmulator();
    const refreshToken = await aliceRefreshToken(emulator);
    const { context } = await within(
      20_000,
      refresh(emulator, { refreshToken, claims: CLAIMS, clientCapabilities: ["CP1"] }),
    );
    assert.equal(context.claims, CLAIMS);
    assert.ok(Math.abs(context.requestedAt - Date.now() / 1000) < 60);
    const token = emulator.requests().filter((r) => r.endpoint === "token").at(-1)!;
    assert.equal(token.form.grant_type, "refresh_token");
    assert.equal(token.form.claims, MERGED);
    assert.equal(token.form.client_info, "1");

    const metadata = await metadataOf(emulator);
    const generic = await within(
      20_000,
      refresh(emulator, {
        refreshToken: await aliceRefreshToken(emulator),
        authorityType: "oidc",
        authorityMetadata: metadata,
      }),
    );
    assert.equal(generic.context.authorityType, "Generic");
    const oidcToken = emulator.requests().filter((r) => r.endpoint === "token").at(-1)!;
    assert.equal(oidcToken.form.grant_type, "refresh_token");
    assert.equal(oidcToken.form.client_info, undefined);
    assert.equal(oidcToken.form.claims, undefined);
  });

  it("takes a multi-tenant authority's ID token, whose issuer names the user's tenant", {
    timeout: 30_000,
  }, async () => {
    const emulator = makeNetworkEmulator();
    const refreshToken = await aliceRefreshToken(emulator);
    const authority = "https://login.microsoftonline.com/organizations";
    const { idTokenClaims, context } = await within(
      20_000,
      refresh(emulator, { refreshToken, authority }),
    );
    // The metadata's issuer is Entra's template: only a generic provider's issuer is compared.
    assert.match(
      String(idTokenClaims?.iss),
      /^https:\/\/login\.microsoftonline\.com\/[0-9a-f-]{36}\//,
    );
    assert.equal(context.authority, authority);
  });

  it("returns no ID token claims when the reply has no ID token", { timeout: 30_000 }, async () => {
    const emulator = makeNetworkEmulator();
    const refreshToken = await aliceRefreshToken(emulator);
    const fetch = editTokenReply(emulator, (body) => {
      delete body.id_token;
      return body;
    });
    const result = await within(20_000, refresh(emulator, { refreshToken, fetch }));
    assert.equal(typeof result.response.access_token, "string");
    assert.ok(!("idTokenClaims" in result), "an idTokenClaims key without an ID token");
  });

  it("a refused family token (invalid_grant) says to fall back, with the server's reply", {
    timeout: 30_000,
  }, async () => {
    const emulator = makeNetworkEmulator();
    const refreshToken = await aliceRefreshToken(emulator);
    emulator.revokeRefreshTokens(ALICE);
    const err = await failure(
      refresh(emulator, { clientId: FAMILY_APP, refreshToken, familyId: "1" }),
      "interaction_required",
    );
    assert.ok(err instanceof InteractionRequiredError);
    const cause = err.cause;
    assert.ok(cause instanceof InteractionRequiredError, String(cause));
    assert.equal(err.server, cause.server);
    assert.equal(err.server?.error, "invalid_grant");
    assert.ok(err.server?.errorDescription);
    assert.equal(
      err.message,
      `The family refresh token (FOCI family 1) was refused: invalid_grant `
        + `(${err.server.errorDescription}). `
        + "Retry with the app's own refresh token, if any; otherwise sign in interactively.",
    );
  });

  it("a family token refused as unauthorized_client: every field of the reply kept", {
    timeout: 30_000,
  }, async () => {
    const emulator = makeNetworkEmulator();
    const challenge = "{\"access_token\":{\"nbf\":{\"essential\":true,\"value\":\"1\"}}}";
    emulator.addFault({
      kind: "error",
      error: "unauthorized_client",
      suberror: "client_mismatch",
      claims: challenge,
      match: { endpoint: "token", grantType: "refresh_token" },
    });
    const err = await failure(
      refresh(emulator, { clientId: LONE_APP, familyId: "7" }),
      "interaction_required",
    );
    assert.ok(err instanceof InteractionRequiredError);
    const cause = err.cause;
    assert.ok(cause instanceof ServerError, String(cause));
    assert.equal(cause.code, "server_error");
    const expected = {
      httpStatus: 400,
      error: "unauthorized_client",
      errorDescription: cause.errorDescription,
      errorCodes: [700016],
      subError: "client_mismatch",
      correlationId: cause.correlationId,
      traceId: cause.traceId,
      claims: challenge,
    };
    for (const [name, value] of Object.entries(expected)) {
      assert.notEqual(value, undefined, `the emulator's reply has no ${name}`);
    }
    assert.deepEqual(err.server, expected);
    assert.equal(err.claims, challenge);
    assert.equal(
      err.message,
      `The family refresh token (FOCI family 7) was refused: unauthorized_client `
        + `(${cause.errorDescription}). `
        + "Retry with the app's own refresh token, if any; otherwise sign in interactively.",
    );
  });

  it("a refusal without a description says the error alone", { timeout: 30_000 }, async () => {
    const emulator = makeNetworkEmulator();
    const bare = editTokenReply(emulator, () => ({ error: "unauthorized_client" }), 400);
    const err = await failure(
      refresh(emulator, { fetch: bare, familyId: "1" }),
      "interaction_required",
    );
    assert.equal(
      err.message,
      "The family refresh token (FOCI family 1) was refused: unauthorized_client. "
        + "Retry with the app's own refresh token, if any; otherwise sign in interactively.",
    );
  });

  it("passes other errors of a family token through, and every error of an app's own", {
    timeout: 30_000,
  }, async () => {
    const emulator = makeNetworkEmulator();
    const fault = (error: string) =>
      emulator.addFault({
        kind: "error",
        error,
        match: { endpoint: "token", grantType: "refresh_token" },
      });
    fault("invalid_scope");
    const scope = await failure(refresh(emulator, { familyId: "1" }), "server_error");
    assert.ok(scope instanceof ServerError);
    assert.equal(scope.error, "invalid_scope");

    fault("interaction_required");
    const ir = await failure(refresh(emulator, { familyId: "1" }), "interaction_required");
    assert.match(ir.message, /^The identity provider requires an interactive sign-in/);
    assert.equal(ir.cause, undefined);

    emulator.addFault({ kind: "malformed_json", match: { endpoint: "token" } });
    const malformed = await failure(refresh(emulator, { familyId: "1" }), "invalid_response");
    assert.match(malformed.message, /\(refresh token redemption: the body is not JSON\)/);

    // A malformed success (no access_token) is neither a server's refusal nor a family's.
    const noToken = editTokenReply(emulator, (body) => {
      delete body.access_token;
      return body;
    });
    const refreshToken = await aliceRefreshToken(emulator);
    const incomplete = await failure(
      refresh(emulator, { fetch: noToken, refreshToken, familyId: "1" }),
      "invalid_response",
    );
    assert.match(incomplete.message, /access_token/);

    fault("unauthorized_client");
    const own = await failure(refresh(emulator), "server_error");
    assert.ok(own instanceof ServerError);
    assert.equal(own.error, "unauthorized_client");
    assert.doesNotMatch(own.message, /family/);

    fault("invalid_grant");
    const dead = await failure(refresh(emulator), "interaction_required");
    assert.doesNotMatch(dead.message, /family/);
  });
});

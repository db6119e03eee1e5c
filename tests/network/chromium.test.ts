/**
 * End to end with a real headless Chromium as the system browser (through `openBrowser`):
 * interactive sign-in and device code against the Entra emulator served on 127.0.0.1, and
 * interactive sign-in plus refresh against oidc-provider as a generic OpenID provider (run
 * by Node in a process of its own, whichever runtime runs the tests).
 */

import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { after, before, describe, it } from "node:test";
import { InteractionRequiredError } from "../../src/errors.ts";
import { clearAuthorityCache } from "../../src/network/authority_metadata.ts";
import {
  acquireByAuthCode,
  acquireByDeviceCode,
  acquireByRefreshToken,
} from "../../src/network/client.ts";
import type { EmulatorServer, EntraEmulator } from "../../src/testing/entra_emulator/mod.ts";
import { chromiumMissing, launchChromium, type TestBrowser } from "../support/network_browser.ts";
import {
  ALICE,
  ALICE_OID,
  ALICE_PASSWORD,
  makeNetworkEmulator,
  TEST_CLIENT_ID,
  TEST_TENANT_ID,
} from "../support/network_emulator.ts";
import { repoPath } from "../support/paths.ts";

const skip = chromiumMissing();

describe("real Chromium against the Entra emulator", { skip, timeout: 120_000 }, () => {
  let browser: TestBrowser;
  let emulator: EntraEmulator;
  let server: EmulatorServer;
  let authority: string;
  let host: string;

  before(async () => {
    browser = await launchChromium();
    emulator = makeNetworkEmulator({ lifetimes: { deviceCodeInterval: 1 } });
    server = await emulator.listen();
    host = new URL(server.url).host;
    authority = `${server.url}/${TEST_TENANT_ID}`;
    clearAuthorityCache();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  it("signs in through the login page and the loopback redirect", async () => {
    const page = await browser.newPage();
    let browsing: Promise<string> | undefined;
    const { response, context, idTokenClaims } = await acquireByAuthCode({
      clientId: TEST_CLIENT_ID,
      authority,
      knownAuthorityHosts: [host],
      scopes: ["User.Read"],
      prompt: "login",
      timeoutMs: 60_000,
      openBrowser: (url) => {
        browsing = (async () => {
          await page.goto(url);
          await page.fill("#login input[name=username]", ALICE);
          await page.fill("#login input[name=password]", ALICE_PASSWORD);
          await Promise.all([
            page.waitForURL(/^http:\/\/localhost:\d+\/\?/),
            page.click("#login button[type=submit]"),
          ]);
          return (await page.textContent("body")) ?? "";
        })();
      },
    });
    assert.match(await browsing!, /Sign-in complete/);
    const landed = new URL(page.url());
    assert.equal(landed.searchParams.get("code")?.startsWith("1.A"), true);
    assert.equal(idTokenClaims?.oid, ALICE_OID);
    assert.equal(idTokenClaims?.preferred_username, ALICE);
    assert.equal(context.environment, host);
    assert.equal(typeof response.refresh_token, "string");
    // The loopback port is closed: a reload fails in the browser.
    const reload = await page.goto(page.url()).then(() => "loaded", (e: Error) => e.message);
    assert.match(reload, /ERR_CONNECTION_REFUSED/);
    await page.close();
  });

  it("shows an error redirect as a failure page and throws the typed error", async () => {
    const page = await browser.newPage();
    emulator.addFault({ kind: "error", error: "access_denied", match: { endpoint: "authorize" } });
    let browsing: Promise<string> | undefined;
    await assert.rejects(
      acquireByAuthCode({
        clientId: TEST_CLIENT_ID,
        authority,
        knownAuthorityHosts: [host],
        scopes: ["User.Read"],
        timeoutMs: 60_000,
        openBrowser: (url) => {
          browsing = page.goto(url).then(async () => (await page.textContent("body")) ?? "");
        },
      }),
      (err) => err instanceof Error && "error" in err && err.error === "access_denied",
    );
    assert.match(await browsing!, /Sign-in failed/);
    await page.close();
  });

  it("completes the device code flow in the browser", async () => {
    const page = await browser.newPage();
    let browsing: Promise<string> | undefined;
    const started = Date.now();
    const { response, idTokenClaims } = await acquireByDeviceCode({
      clientId: TEST_CLIENT_ID,
      authority,
      knownAuthorityHosts: [host],
      scopes: ["User.Read"],
      deviceCodeCallback: (info) => {
        browsing = (async () => {
          await page.goto(info.verificationUri);
          await page.fill("#device input[name=otc]", info.userCode);
          await page.click("#device button[type=submit]");
          await page.fill("#device input[name=username]", ALICE);
          await page.fill("#device input[name=password]", ALICE_PASSWORD);
          await page.click("#device button[value=approve]");
          return (await page.textContent("#result")) ?? "";
        })();
      },
    });
    assert.match(await browsing!, /You have signed in/);
    assert.equal(idTokenClaims?.oid, ALICE_OID);
    assert.equal(typeof response.access_token, "string");
    assert.ok(Date.now() - started >= 900, "polled before the interval");
    await page.close();
  });
});

describe(
  "real Chromium against oidc-provider (generic OIDC)",
  { skip, timeout: 120_000 },
  () => {
    let browser: TestBrowser;
    let provider: ChildProcess;
    let issuer: string;
    const CLIENT = "entra-auth-oidc-test";

    before(async () => {
      browser = await launchChromium();
      // oidc-provider runs on Node (it relies on Node's HTTP internals) in a process of its
      // own, whichever runtime runs this test.
      provider = spawn("node", [repoPath("tests", "support", "oidc_provider_server.mjs"), CLIENT], {
        stdio: ["pipe", "pipe", "inherit"],
      });
      issuer = await new Promise<string>((resolve, reject) => {
        let out = "";
        provider.stdout!.on("data", (d) => {
          out += d;
          // oidc-provider prints warnings on stdout too: find our line.
          const line = out.split("\n").find((l) => l.startsWith("{\"issuer\""));
          if (line) resolve(JSON.parse(line).issuer);
        });
        provider.on("exit", (code) => reject(new Error(`oidc-provider exited (${code})`)));
        setTimeout(() => reject(new Error("oidc-provider did not start")), 20_000);
      });
      clearAuthorityCache();
    });
    after(async () => {
      await browser?.close();
      provider?.stdin?.end();
      provider?.kill("SIGKILL");
    });

    it("signs in with PKCE, checks the generic issuer, and refreshes", async () => {
      const page = await browser.newPage();
      let browsing: Promise<string> | undefined;
      const common = {
        clientId: CLIENT,
        authority: issuer,
        authorityType: "oidc" as const,
        scopes: [],
      };
      const { response, context, idTokenClaims } = await acquireByAuthCode({
        ...common,
        redirectUri: "http://127.0.0.1/cb",
        prompt: "consent",
        timeoutMs: 60_000,
        openBrowser: (url) => {
          browsing = (async () => {
            await page.goto(url);
            await page.fill("input[name=login]", "bob");
            await page.fill("input[name=password]", "any");
            await page.click("button[type=submit]");
            await page.waitForLoadState();
            const issuerPort = new URL(issuer).port;
            for (let i = 0; i < 5 && new URL(page.url()).port === issuerPort; i++) {
              if (!(await page.$("button[type=submit]"))) {
                throw new Error(`stuck at ${page.url()}: ${await page.textContent("body")}`);
              }
              await page.click("button[type=submit]"); // consent
              await page.waitForLoadState();
            }
            await page.waitForURL(/\/cb\?/);
            return (await page.textContent("body")) ?? "";
          })();
        },
      });
      assert.match(await browsing!, /Sign-in complete/);
      assert.equal(context.authorityType, "Generic");
      assert.equal(idTokenClaims?.sub, "bob");
      assert.equal(idTokenClaims?.iss, issuer);
      assert.equal(idTokenClaims?.aud, CLIENT);
      assert.equal(typeof response.refresh_token, "string", "no refresh token (offline_access)");
      const refreshed = await acquireByRefreshToken({
        ...common,
        refreshToken: response.refresh_token!,
      });
      assert.equal(typeof refreshed.response.access_token, "string");
      await assert.rejects(
        acquireByRefreshToken({ ...common, refreshToken: "not-a-refresh-token" }),
        (err) => err instanceof InteractionRequiredError && err.server?.error === "invalid_grant",
      );
      await page.close();
    });

    it("completes the device code flow at oidc-provider in the browser", async () => {
      const page = await browser.newPage();
      let browsing: Promise<string> | undefined;
      const { idTokenClaims } = await acquireByDeviceCode({
        clientId: CLIENT,
        authority: issuer,
        authorityType: "oidc",
        scopes: [],
        deviceCodeCallback: (info) => {
          browsing = (async () => {
            await page.goto(info.verificationUriComplete ?? info.verificationUri);
            // oidc-provider's pages: confirm the code, sign in, consent.
            for (let i = 0; i < 6; i++) {
              if (await page.$("input[name=login]")) {
                await page.fill("input[name=login]", "carol");
                await page.fill("input[name=password]", "any");
              }
              const submit = await page.$("button[type=submit]");
              if (!submit) break;
              await submit.click();
              await page.waitForLoadState();
            }
            return (await page.textContent("body")) ?? "";
          })();
        },
      });
      assert.match(await browsing!, /Sign-in Success/);
      // The browser may still hold bob's session from the previous test; else carol signs in.
      assert.ok(["bob", "carol"].includes(String(idTokenClaims?.sub)), String(idTokenClaims?.sub));
      assert.equal(idTokenClaims?.aud, CLIENT);
      assert.equal(idTokenClaims?.iss, issuer);
      await page.close();
    });
  },
);

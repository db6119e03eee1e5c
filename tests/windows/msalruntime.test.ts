/**
 * Microsoft's real msalruntime.dll (from @azure/msal-node-runtime) under Wine, in the Windows
 * builds of Deno, Bun and Node (scripts/wine/run.sh): locating it, loading it and binding every
 * symbol, Startup, its log lines, a broker call ending in the typed error Windows without WAM
 * gives (Wine has no WAM: REGDB_E_CLASSNOTREG), the fallback to signing in without the broker,
 * and the console window handle. Skipped, by an explicit platform check, elsewhere.
 */

import assert from "node:assert/strict";
import process from "node:process";
import { describe, it } from "node:test";
import { openLibrary } from "../../ffi/library.ts";
import type { MsalRuntime } from "../../ffi/msalruntime/binding.ts";
import {
  locateMsalRuntime,
  msalRuntimeState,
  startMsalRuntime,
} from "../../ffi/msalruntime/locate.ts";
import { msalRuntimeSymbols } from "../../ffi/msalruntime/symbols.ts";
import { wamRegistered } from "../../ffi/msalruntime/wam.ts";
import { consoleWindowHandle } from "../../ffi/msalruntime/window.ts";
import { forgetWamAbsence } from "../../src/broker/broker_client.ts";
import { BrokerError } from "../../src/errors.ts";
import { PublicClientApplication } from "../../src/public_client_application.ts";

const notWindows = process.platform !== "win32" && "needs Windows (scripts/wine/run.sh)";
const CLIENT_ID = "00000000-0000-0000-0000-000000000001";
const params = {
  clientId: CLIENT_ID,
  authority: "https://login.microsoftonline.com/organizations",
  scopes: ["User.Read"],
  redirectUri: `ms-appx-web://Microsoft.AAD.BrokerPlugin/${CLIENT_ID}`,
};
const options = () => ({ correlationId: crypto.randomUUID(), timeoutMs: 30_000 });
const REGDB_E_CLASSNOTREG = 0x80040154;

describe("locating msalruntime.dll", { skip: notWindows }, () => {
  it("is found in @azure/msal-node-runtime's Windows x64 folder", () => {
    const located = locateMsalRuntime();
    assert.equal(located.source, "package");
    assert.match(located.path, /[\\/]dist[\\/]windows[\\/]x64[\\/]msalruntime\.dll$/);
  });
});

describe("msalruntime.dll", { skip: notWindows }, () => {
  let rt: MsalRuntime;

  it("loads with every required symbol of the Windows table bound", async () => {
    const symbols = msalRuntimeSymbols(true);
    const lib = await openLibrary(locateMsalRuntime().path, symbols);
    const required = Object.entries(symbols).filter(([, d]) => !("optional" in d && d.optional));
    assert.ok(required.length > 50, `${required.length} required symbols`);
    for (const [name] of required) {
      assert.equal(typeof (lib.symbols as Record<string, unknown>)[name], "function", name);
    }
  });

  it("starts", { timeout: 60_000 }, async () => {
    rt = await startMsalRuntime();
    assert.equal(rt.brokerAvailable, true, JSON.stringify(rt.startupError));
  });

  it("a silent sign-in without WAM ends in a BrokerError carrying REGDB_E_CLASSNOTREG", {
    timeout: 60_000,
  }, async () => {
    const err = await rt.signInSilently(params, options()).catch((e) => e);
    assert.ok(err instanceof BrokerError, String(err));
    assert.equal(err.errorCode! >>> 0, REGDB_E_CLASSNOTREG, err.message);
  });

  it(
    "refuses window handle 0 with a typed error",
    { timeout: 60_000 },
    async () => {
      const err = await rt.signInInteractively(0n, params, "", options()).catch((e) => e);
      assert.ok(err instanceof BrokerError, String(err));
      assert.match(err.message, /window handle/i);
    },
  );
});

describe("console window handle on Windows", { skip: notWindows }, () => {
  // scripts/wine/run.sh starts Node with a console window and Deno and Bun without one, so
  // both branches run: the console's window when there is one, else the foreground window.
  it("is the console's window when there is one, else the foreground (or desktop) window", async () => {
    const kernel32 = await openLibrary("kernel32.dll", {
      GetConsoleWindow: { parameters: [], result: "pointer" },
    });
    const user32 = await openLibrary("user32.dll", {
      IsWindow: { parameters: ["pointer"], result: "i32" },
      GetForegroundWindow: { parameters: [], result: "pointer" },
      GetDesktopWindow: { parameters: [], result: "pointer" },
    });
    const handle = await consoleWindowHandle();
    assert.ok(handle !== undefined && handle !== 0n, "not 0 (MSALRuntime refuses it)");
    assert.notEqual(user32.symbols.IsWindow(handle!), 0, `IsWindow(${handle})`);
    const console = kernel32.symbols.GetConsoleWindow();
    if (console !== 0n) {
      assert.equal(handle, console, "the console's window");
    } else {
      const expected = user32.symbols.GetForegroundWindow() || user32.symbols.GetDesktopWindow();
      assert.equal(handle, expected, "the foreground window, else the desktop");
    }
  });
});

describe("WAM's registration", { skip: notWindows }, () => {
  it("is read from the registry: Wine has no WAM class (false, not 'cannot tell')", async () => {
    assert.equal(await wamRegistered(), false);
  });
});

describe("one MSALRuntime per process, on Windows", { skip: notWindows }, () => {
  // Before any other application of this file takes a share: here the last share is given back.
  it("the last app to close shuts MSALRuntime down; a new app after it starts it again", {
    timeout: 60_000,
  }, async () => {
    const app = () =>
      new PublicClientApplication({
        clientId: CLIENT_ID,
        authority: "https://login.microsoftonline.com/organizations",
        enableBrokerOnWindows: true,
        broker: { required: true },
        logger: { loggerCallback: () => {} },
      });
    for (const round of [1, 2]) {
      forgetWamAbsence();
      const one = app();
      const err = await one.acquireTokenInteractive({ scopes: ["User.Read"] }).catch((e) => e);
      // WAM refused a real broker call (not "MSALRuntime has been shut down").
      assert.equal(err.code, "broker_unavailable", `round ${round}: ${err}`);
      assert.match(err.message, /WAM/);
      assert.deepEqual(msalRuntimeState(), { shares: 1, started: true });
      await one.close();
      assert.deepEqual(msalRuntimeState(), { shares: 0, started: false }, "shut down");
    }
  });
});

describe("PublicClientApplication on Windows without WAM", { skip: notWindows }, () => {
  const asked: string[] = [];
  const warnings: string[] = [];
  const app = (required = false) =>
    new PublicClientApplication({
      clientId: CLIENT_ID,
      authority: "https://login.microsoftonline.com/organizations",
      enableBrokerOnWindows: true,
      broker: { required },
      logger: {
        loggerCallback: (level, message) => level === "warning" && warnings.push(message),
      },
      // No network in tests: the fallback's first request fails, which shows it was made.
      fetch: (input) => {
        asked.push(String(input instanceof Request ? input.url : input));
        return Promise.reject(new TypeError("offline (test)"));
      },
    });

  it(
    "falls back when the first call is interactive and fails before reaching WAM",
    { timeout: 60_000 },
    async () => {
      forgetWamAbsence();
      // prompt "login" skips the silent attempt (which would get REGDB_E_CLASSNOTREG): the
      // interactive call gets the console window and, under Wine, fails with "Caught
      // exception" (status 0, no error code) before it reaches WAM.
      const err = await app().acquireTokenInteractive({ scopes: ["User.Read"], prompt: "login" })
        .catch((e) => e);
      assert.equal(err.code, "network_error", String(err));
      assert.ok(asked.some((u) => u.includes("login.microsoftonline.com")), asked.join());
      assert.ok(warnings.some((w) => /WAM.*not registered/.test(w)), warnings.join("\n"));
    },
  );

  it(
    "falls back to signing in without the broker when WAM refuses",
    { timeout: 60_000 },
    async () => {
      forgetWamAbsence();
      asked.length = 0;
      warnings.length = 0;
      const err = await app().acquireTokenInteractive({ scopes: ["User.Read"] }).catch((e) => e);
      assert.equal(err.code, "network_error", String(err));
      assert.ok(asked.some((u) => u.includes("login.microsoftonline.com")), asked.join());
      assert.ok(warnings.some((w) => /WAM.*REGDB_E_CLASSNOTREG/.test(w)), warnings.join("\n"));
    },
  );

  it("with broker.required gives a typed broker_unavailable error, on every call", {
    timeout: 60_000,
  }, async () => {
    forgetWamAbsence();
    asked.length = 0;
    const required = app(true);
    for (const prompt of ["login", "login", undefined] as const) {
      const err = await required.acquireTokenInteractive({ scopes: ["User.Read"], prompt })
        .catch((e) => e);
      assert.ok(err instanceof BrokerError, String(err));
      assert.equal(err.code, "broker_unavailable", String(err));
      assert.match(err.message, /WAM/);
    }
    assert.deepEqual(asked, [], "no sign-in without the broker");
  });

  it("then signs every later app in without it, even with prompt login", {
    timeout: 60_000,
  }, async () => {
    asked.length = 0;
    const other = app();
    assert.equal(await other.isPopSupported(), false, "the broker is not in use");
    const err = await other.acquireTokenInteractive({ scopes: ["User.Read"], prompt: "login" })
      .catch((e) => e);
    assert.equal(err.code, "network_error", String(err));
    assert.ok(asked.some((u) => u.includes("login.microsoftonline.com")), asked.join());
  });
});

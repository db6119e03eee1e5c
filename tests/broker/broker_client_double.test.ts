/**
 * The brokered PublicClientApplication's own decisions, against the compiled test double of
 * MSALRuntime (tests/native/msalruntime_double.c; no broker session needed): which broker call
 * serves which request, the errors that end a sign-in instead of showing the broker, the log
 * lines that say so, kept account handles, sign-outs that fail, aborts, time limits and calls
 * stalled behind a hung one, close and reuse, and the process-wide PII and WAM switches.
 * Each scenario runs in a process of its own (tests/fixtures/double_client.ts).
 */

import assert from "node:assert/strict";
import process from "node:process";
import { describe, it } from "node:test";
import { runFixture } from "../support/fixtures.ts";
import { msalRuntimeDoublePath } from "../support/msalruntime_double.ts";

// deno-lint-ignore no-explicit-any
type Report = Record<string, any>;

const doublePath = msalRuntimeDoublePath();
const reports = new Map<string, Promise<Report>>();

/** Runs a scenario once (later calls share the report) and checks that it ran to the end. */
type Scenario =
  | "routes"
  | "process-wide"
  | "no-broker"
  | "no-broker-no-context"
  | "missing-library"
  | "slow-start";

function scenario(name: Scenario): Promise<Report> {
  let report = reports.get(name);
  if (!report) {
    report = (async () => {
      const r = await runFixture("double_client", [name], {
        env: { ENTRA_AUTH_MSALRUNTIME_PATH: doublePath, DISPLAY: undefined },
        timeoutMs: 60_000,
      });
      const line = r.stdout.trim().split("\n").filter((l) => l.startsWith("{")).pop();
      const why = `${name}: exit ${r.code} ${r.signal ?? ""}\n${r.stdout}\n${r.stderr}`;
      assert.ok(line, `no report from ${why}`);
      const parsed = JSON.parse(line) as Report;
      assert.equal(parsed.ok, true, why);
      assert.equal(r.code, 0, why);
      return parsed;
    })();
    reports.set(name, report);
  }
  return report;
}

// Each scenario is a process of its own: start them all at once (the tests share the reports).
for (
  const name of [
    "routes",
    "process-wide",
    "no-broker",
    "no-broker-no-context",
    "missing-library",
    "slow-start",
  ] as const
) {
  scenario(name).catch(() => {}); // its test reports a failure
}

const NONE = { silent: 0, ui: 0, hint: 0, account: 0, read: 0 };

describe("brokered sign-in decisions (MSALRuntime test double)", () => {
  it("the default OS account first, silently, saying so; its account as the broker has it", async () => {
    const r = await scenario("routes");
    assert.deepEqual(r.defaultAccount.made, { ...NONE, silent: 1 });
    assert.deepEqual(r.defaultAccount.lines, ["Signed in silently with the default OS account."]);
    assert.equal(r.defaultAccount.nativeAccountId, "double-account-alice");
    assert.equal(r.defaultAccount.environment, "login.microsoftonline.com");
    assert.equal(r.defaultAccount.fromCache, false);
    assert.equal(r.defaultAccount.fromBroker, true);
    assert.equal(r.defaultAccount.bearerHeader, true, "Authorization: Bearer <the token>");
    // One share of MSALRuntime per application, however many calls it made, even when the
    // first two came at once.
    assert.equal(r.sharesAfterConcurrentStart, 1);
    assert.equal(r.sharesWithOneApp, 1);
  });

  it("the broker's UI when the default account needs interaction, saying so", async () => {
    const r = await scenario("routes");
    assert.deepEqual(r.needsInteraction.made, { ...NONE, silent: 1, ui: 1 });
    assert.deepEqual(r.needsInteraction.lines, [
      "The default OS account needs interaction; showing the broker.",
    ]);
  });

  it("prompt none: the broker's own interaction-required error, no UI", async () => {
    const r = await scenario("routes");
    assert.deepEqual(r.promptNone.made, { ...NONE, silent: 1 });
    assert.equal(r.promptNone.value.name, "InteractionRequiredError");
    assert.equal(r.promptNone.value.status, 2, "the broker's error, not one made up here");
  });

  it("any other failure of the default account ends the sign-in: no UI", async () => {
    const r = await scenario("routes");
    assert.deepEqual(r.otherFailure.made, { ...NONE, silent: 1 });
    assert.equal(r.otherFailure.value.name, "BrokerError");
    assert.equal(r.otherFailure.value.status, 6);
  });

  it("prompt none with a login hint: interaction required, without any broker call", async () => {
    const r = await scenario("routes");
    assert.deepEqual(r.promptNoneWithHint.made, NONE);
    assert.equal(r.promptNoneWithHint.value.name, "InteractionRequiredError");
    assert.equal(
      r.promptNoneWithHint.value.message,
      "prompt is none and the broker needs interaction.",
    );
  });

  it("a hint with a prompt goes to the broker's UI with the hint; a prompt alone, without one", async () => {
    const r = await scenario("routes");
    assert.deepEqual(r.hintWithPrompt.made, { ...NONE, ui: 1 });
    assert.equal(r.hintWithPrompt.value.op, "SignInInteractively");
    assert.equal(r.hintWithPrompt.value.accountHint, "bob@contoso.example");
    assert.deepEqual(r.promptWithoutHint.made, { ...NONE, ui: 1 });
    assert.equal(r.promptWithoutHint.value.accountHint, "");
  });

  it("says that a domain hint is not passed to the broker", async () => {
    const r = await scenario("routes");
    assert.equal(
      r.domainHint[0],
      "domainHint is not passed to the broker (it picks the realm itself).",
    );
  });

  it("passes the app's extra query parameters on to the broker", async () => {
    const r = await scenario("routes");
    assert.deepEqual(r.extraParameters.value, { slice: "testslice" });
  });

  it("a result that grants no scopes lists none", async () => {
    const r = await scenario("routes");
    assert.deepEqual(r.noGrantedScopes, []);
  });

  it("refuses the console window without a display, saying what to do", async () => {
    const r = await scenario("routes");
    assert.equal(r.noWindow?.name, "BrokerError");
    assert.equal(r.noWindow.code, "no_window");
    assert.equal(
      r.noWindow.message,
      "Interactive sign-in through the broker needs a display for its window, and there is "
        + "none (DISPLAY is unset or unreachable: an SSH session or a headless machine). Run "
        + "the app in a desktop session, forward X11 (ssh -X), or pass the app's own window "
        + "handle as parentWindowHandle.",
    );
  });

  it("refuses a parent window handle of 0", async () => {
    const r = await scenario("routes");
    assert.equal(r.windowZero?.code, "invalid_argument");
    assert.equal(r.windowZero.message, "parentWindowHandle must not be 0");
  });

  it("keeps the account handles getAccounts read: silent calls read no account again", async () => {
    const r = await scenario("routes");
    assert.deepEqual(r.kept.made, NONE);
  });
});

describe("brokered sign-outs (MSALRuntime test double)", () => {
  it("an account unknown to the broker (16) or needing interaction counts as signed out", async () => {
    const r = await scenario("routes");
    assert.equal(r.signOutUnknown, undefined, JSON.stringify(r.signOutUnknown));
    assert.equal(r.signOutInteraction, undefined, JSON.stringify(r.signOutInteraction));
    assert.deepEqual(r.listedAfterSignOuts, ["bob@contoso.example"]);
  });

  it("another failure is the caller's error, and the account stays", async () => {
    const r = await scenario("routes");
    assert.equal(r.signOutFails?.name, "BrokerError");
    assert.equal(r.signOutFails.status, 6);
    assert.ok(r.listedAfterSignOuts.includes("bob@contoso.example"));
  });

  it("a signed-out account needs interaction, until it signs in again", async () => {
    const r = await scenario("routes");
    assert.equal(r.silentAfterSignOut?.name, "InteractionRequiredError");
    assert.equal(
      r.silentAfterSignOut.message,
      "This account was signed out of the app (removeAccount): sign in interactively.",
    );
    assert.equal(r.silentAfterSignIn, undefined, JSON.stringify(r.silentAfterSignIn));
  });

  it("an account the broker fails to read is not signed out: the broker's error", async () => {
    const r = await scenario("routes");
    assert.equal(r.removeReadFails?.name, "BrokerError");
    assert.equal(r.removeReadFails.status, 6);
  });

  it("an account the broker does not know needs interaction, and is found once the broker has it again", async () => {
    const r = await scenario("routes");
    assert.equal(r.unknownAccount?.name, "InteractionRequiredError");
    assert.equal(
      r.unknownAccount.message,
      "The broker does not know this account (signed out, or not from the broker): sign in interactively.",
    );
    assert.equal(r.knownAgain, undefined, JSON.stringify(r.knownAgain));
  });

  it("a failed read of an account is not kept: the next call reads it again", async () => {
    const r = await scenario("routes");
    assert.equal(r.readAgain.value, undefined, JSON.stringify(r.readAgain.value));
    assert.deepEqual(r.readAgain.made, { ...NONE, read: 1 });
  });

  it("an abort during the sign-out ends it with code aborted", async () => {
    const r = await scenario("routes");
    assert.equal(r.signOutAborted?.code, "aborted", JSON.stringify(r.signOutAborted));
    assert.equal(r.signOutAborted.message, "The broker call was canceled by the application.");
  });
});

describe("brokered calls: aborts and time limits (MSALRuntime test double)", () => {
  it("an abort ends the wait for a shared account read, and an aborted signal any call", async () => {
    const r = await scenario("routes");
    for (const e of [r.readAborted, r.removeReadAborted, r.preAborted, r.callAborted]) {
      assert.equal(e?.code, "aborted", JSON.stringify(e));
      assert.equal(e.message, "The broker call was canceled by the application.");
    }
    assert.ok(r.readAbortedMs < 4_000, `aborted after ${r.readAbortedMs} ms`);
  });

  it("a hung call ends at its time limit with a broker_timeout naming it and what to do", async () => {
    const r = await scenario("routes");
    assert.equal(r.timeout?.code, "broker_timeout");
    assert.equal(
      r.timeout.message,
      "The authentication broker did not answer within 300 ms (MSALRUNTIME_SignInSilentlyAsync). "
        + "Check that microsoft-identity-broker is running (systemctl --user status "
        + "microsoft-identity-broker), or raise the broker timeout.",
    );
    assert.equal(r.timeout.operation, "MSALRUNTIME_SignInSilentlyAsync");
    assert.equal(r.timeout.cause, "NativeTimeoutError");
  });

  it("the next call goes ahead at once, but not 2 s after the hung call was issued", async () => {
    const r = await scenario("routes");
    // Only meaningful when the next call came before the 2 s (always, unless the machine froze).
    if (r.nextAtOnceAgeMs < 2_000) {
      assert.equal(r.nextAtOnce, undefined, JSON.stringify(r.nextAtOnce));
    }
    assert.equal(r.stalled?.code, "broker_timeout");
    assert.equal(r.stalledOperation, "MSALRUNTIME_SignInSilentlyAsync");
    assert.match(
      r.stalled.message,
      /^The authentication broker has not answered an earlier call \(MSALRUNTIME_SignInSilentlyAsync, [2-9] s ago\), and MSALRuntime sends calls one at a time, so this call would wait behind it\. Finish or close the broker's window if one is open; otherwise restart the broker \(systemctl --user restart microsoft-identity-broker\) or retry later\.$/,
    );
  });

  it("close gives every share of MSALRuntime back; a closed app starts it again", async () => {
    const r = await scenario("routes");
    assert.equal(r.sharesBeforeClose, 6);
    assert.deepEqual(r.afterClose, { shares: 0, started: false });
    assert.equal(r.reused, 2);
    assert.deepEqual(r.afterReuse, { shares: 1, started: true });
  });
});

describe("process-wide broker switches (MSALRuntime test double)", () => {
  it("an app without PII logging gets no broker log lines once another turned PII on", async () => {
    const r = await scenario("process-wide");
    assert.ok(r.pii.withPii > 0, "the app with PII logging gets the broker's lines");
    assert.equal(r.pii.withoutPii, 0);
  });

  it(
    "WAM absent (REGDB_E_CLASSNOTREG): signs in without it, says so once, then never asks again",
    { skip: process.platform === "win32" && "the Windows path asks the registry instead" },
    async () => {
      const r = await scenario("process-wide");
      // A required app that finds it out gets a typed error naming the call, with the
      // broker's report as its cause.
      assert.equal(r.requiredFinds?.code, "broker_unavailable", JSON.stringify(r.requiredFinds));
      assert.equal(
        r.requiredFinds.message,
        "The Windows authentication broker (WAM) is not available on this machine.",
      );
      assert.equal(r.requiredFinds.operation, "MSALRUNTIME_SignInSilentlyAsync");
      assert.equal(r.requiredFinds.causeCode, 0x80040154);
      assert.deepEqual(r.absent.made, { ...NONE, silent: 1 });
      // Fell back to the browser (no display in the fixture), not a broker error.
      assert.equal(r.absent.value?.code, "no_browser", JSON.stringify(r.absent.value));
      assert.deepEqual(r.absentLines, [
        "The Windows authentication broker (WAM) is not available on this machine "
        + "(REGDB_E_CLASSNOTREG); signing in without it.",
      ]);
      assert.deepEqual(r.again.made, NONE);
      assert.equal(r.again.value?.code, "no_browser");
      const requiredMessage = "The Windows authentication broker (WAM) is not available on this "
        + "machine (broker.required is set, so there is no sign-in without it).";
      for (const e of [r.required.value, r.requiredAccounts]) {
        assert.equal(e?.name, "BrokerError");
        assert.equal(e.code, "broker_unavailable");
        assert.equal(e.message, requiredMessage);
      }
      assert.deepEqual(r.required.made, NONE);
      assert.deepEqual(r.afterForget, { value: true, made: { ...NONE, silent: 1 } });
    },
  );
});

describe("when the broker cannot be used (MSALRuntime test double)", () => {
  const FALLBACK = " Signing in without the broker: under Conditional Access that requires a "
    + "managed device, sign-in may then fail. Set broker.required to make this an error.";
  const REQUIRED = "The broker is required (broker.required) but cannot be used. ";

  it("no broker on the bus: one warning to the app's logger, then verbose lines; required: a typed error", async () => {
    const r = await scenario("no-broker");
    const why = "The authentication broker is not running (double: Startup failed with status 6 "
      + "for user '(pii)'). Install and start Microsoft Single Sign-on for Linux (the "
      + "intune-portal or microsoft-identity-broker package), or sign in without the broker.";
    assert.deepEqual([r.first, r.second, r.other], [0, 0, 0]);
    assert.deepEqual(r.lines, [`warning: ${why}${FALLBACK}`, `verbose: Broker not used: ${why}`]);
    assert.equal(r.required?.name, "BrokerError");
    assert.equal(r.required.code, "broker_unavailable");
    assert.equal(r.required.status, 6, "the broker's report of the failed start");
    assert.equal(r.required.message, REQUIRED + why);
    assert.equal(r.requiredCause, why);
    assert.equal(r.requiredOperation, "MSALRUNTIME_Startup");
  });

  it("a start-up error without context: the message says there is no broker on the bus", async () => {
    const r = await scenario("no-broker-no-context");
    assert.equal(
      r.required?.message,
      REQUIRED + "The authentication broker is not running (no broker on the session bus). "
        + "Install and start Microsoft Single Sign-on for Linux (the intune-portal or "
        + "microsoft-identity-broker package), or sign in without the broker.",
    );
  });

  it("a library that cannot load: one console warning (no logger); required: a typed error", async () => {
    const r = await scenario("missing-library");
    const why =
      /^The broker library cannot start: Native library not found: \/nonexistent\/libmsalruntime\.so\. Install MSALRuntime with: [^.]+\.$/;
    assert.deepEqual([r.accounts, r.again], [0, 0]);
    assert.equal(r.warnings.length, 1, JSON.stringify(r.warnings));
    assert.ok(r.warnings[0].startsWith("entra-auth: "), r.warnings[0]);
    assert.ok(r.warnings[0].endsWith(FALLBACK), r.warnings[0]);
    assert.match(r.warnings[0].slice("entra-auth: ".length, -FALLBACK.length), why);
    assert.equal(r.required?.code, "broker_unavailable");
    assert.ok(r.required.message.startsWith(REQUIRED), r.required.message);
    assert.match(r.required.message.slice(REQUIRED.length), why);
    assert.equal(r.requiredCause, "NativeLibraryError", "the load failure is the cause");
  });

  it("a start slower than the limit falls back once warned, is not waited for again, and serves later calls", async () => {
    const r = await scenario("slow-start");
    const why = "MSALRuntime did not start within 200 ms: the broker (microsoft-identity-broker) "
      + "or the session bus is not answering. Check it with systemctl --user status "
      + "microsoft-identity-broker, or raise broker.startupTimeoutMs.";
    assert.equal(r.first, 0);
    assert.equal(r.startedAfterFirst, 0, "the start was still under way");
    assert.deepEqual(r.warnings, [`entra-auth: ${why}${FALLBACK}`]);
    assert.deepEqual([r.otherApp, r.again], [0, 0]);
    assert.deepEqual(r.lines, [
      `verbose: Broker not used: ${why}`,
      `verbose: Broker not used: ${why}`,
    ]);
    assert.equal(r.startedAfterAgain, 0, "the next call did not wait for the start");
    assert.equal(r.aborted?.code, "aborted");
    assert.equal(r.aborted.message, "The broker call was canceled by the application.");
    assert.equal(r.startedAfterAbort, 0, "the abort ended the wait before the start was done");
    assert.equal(r.required?.code, "broker_timeout");
    assert.equal(r.required.message, REQUIRED + why);
    assert.equal(r.requiredOperation, "MSALRUNTIME_Startup");
    assert.equal(r.started, true);
    assert.equal(r.afterStart, 3, "once started, the broker serves the app that timed out");
    assert.equal(r.afterStartRequired, 3);
  });
});

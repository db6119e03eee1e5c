/**
 * The MSALRuntime binding and the brokered PublicClientApplication against a compiled test
 * double of MSALRuntime's C ABI (tests/native/msalruntime_double.c), for what the real
 * library cannot be made to show: that every native handle is released exactly once after
 * every public operation, faults of every kind, completions delivered before the *Async call
 * returns, late completions after a timeout, and Shutdown never called while a call is
 * outstanding.
 *
 * MSALRuntime starts once per process, so each scenario runs in a child process
 * (tests/fixtures/double_pca.ts, double_runtime.ts) with ENTRA_AUTH_MSALRUNTIME_PATH naming
 * the double; the child prints one JSON report.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { runFixture } from "../support/fixtures.ts";
import { msalRuntimeDoublePath } from "../support/msalruntime_double.ts";

// deno-lint-ignore no-explicit-any
type Report = Record<string, any>;

const doublePath = msalRuntimeDoublePath();
const reports = new Map<string, Promise<Report>>();

/** Runs a scenario once (later calls share the report) and checks that it ran to the end. */
function scenario(fixture: "double_pca" | "double_runtime", name: string): Promise<Report> {
  const key = `${fixture}:${name}`;
  let report = reports.get(key);
  if (!report) {
    report = (async () => {
      const r = await runFixture(fixture, [name], {
        env: { ENTRA_AUTH_MSALRUNTIME_PATH: doublePath, DISPLAY: undefined },
        timeoutMs: 60_000,
      });
      const line = r.stdout.trim().split("\n").filter((l) => l.startsWith("{")).pop();
      const why = `${key}: exit ${r.code} ${r.signal ?? ""}\n${r.stdout}\n${r.stderr}`;
      assert.ok(line, `no report from ${why}`);
      const parsed = JSON.parse(line) as Report;
      assert.equal(parsed.ok, true, why);
      assert.equal(r.code, 0, why);
      return parsed;
    })();
    reports.set(key, report);
  }
  return report;
}

const NO_LIVE_HANDLES = {
  error: 0,
  authParameters: 0,
  authResult: 0,
  account: 0,
  async: 0,
  signOutResult: 0,
  readAccountResult: 0,
  discoverResult: 0,
  logCallback: 0,
};

/**
 * Every live counter is back to its baseline, nothing was released twice or used after its
 * release, and (when the scenario closed the app) nothing is live after close and Shutdown
 * was called once, never while a call was outstanding. `except` ignores kinds checked by a
 * test of their own.
 */
function assertReleased(report: Report, except: string[] = []): void {
  const leaks = { ...report.leaks };
  for (const kind of except) delete leaks[kind];
  if (report.afterClose) {
    // The application keeps one account handle per account for later calls (reading an
    // account costs a broker round trip) and releases them in close(), checked below.
    assert.ok((leaks.account ?? 0) <= 3, `at most one kept handle per account: ${leaks.account}`);
    delete leaks.account;
  }
  assert.deepEqual(leaks, {}, "live handles after the operations");
  assert.equal(report.counters.badReleases, 0, "releases of released or unknown handles");
  assert.equal(report.counters.badUses, 0, "uses of released or unknown handles");
  if (report.afterClose) {
    const live = { ...report.afterClose.live };
    for (const kind of except) live[kind] = 0;
    assert.deepEqual(live, NO_LIVE_HANDLES, "live handles after close()");
    assert.equal(report.afterClose.badReleases, 0);
    assert.equal(report.afterClose.shutdownWhileOutstanding, 0);
  }
}

describe("MSALRuntime binding against the C test double", () => {
  describe("every handle is released exactly once", () => {
    it("interactive sign-in with the default OS account", async () => {
      const r = await scenario("double_pca", "interactive-default");
      assert.equal(r.result.username, "alice@contoso.example");
      assert.equal(r.result.fromBroker, true);
      assert.equal(r.result.tokenType, "Bearer");
      assert.ok(r.result.accessTokenLength > 4096, "a token longer than the first buffer");
      assert.ok(r.result.expiresInS > 3500 && r.result.expiresInS <= 3600);
      assert.deepEqual(r.calls, { silent: 1, ui: 0 });
      assertReleased(r);
    });

    it("interactive sign-in through the broker UI, with a hint and with an account", async () => {
      const r = await scenario("double_pca", "interactive-ui");
      assert.equal(r.viaUi.username, "alice@contoso.example");
      assert.equal(r.withHint.username, "bob@contoso.example");
      assert.equal(r.withAccount.username, "chlo\u00e9@contoso.example");
      assert.equal(r.withAccount.idTokenName, "Chlo\u00e9 Ch\u00e2telet \u2713");
      // A login hint with no prompt goes through SignInAsync (that user silently, else the UI).
      assert.deepEqual(r.calls, { silent: 1, ui: 1, hint: 1, account: 1 });
      assert.equal(r.lastRequest.window, 1);
      assertReleased(r);
    });

    it("silent acquisition, and forceRefresh names the token to renew", async () => {
      const r = await scenario("double_pca", "silent");
      assert.equal(r.first.username, "bob@contoso.example");
      assert.notEqual(r.again.accessTokenPrefix, r.first.accessTokenPrefix);
      assert.equal(r.renewedToken, true);
      assert.equal(r.lastRequest.op, "AcquireTokenSilently");
      assert.equal(r.lastRequest.scopes, "api://double/.default");
      assertReleased(r);
    });

    it("getAccounts", async () => {
      const r = await scenario("double_pca", "accounts");
      assert.deepEqual(
        r.accounts.map((a: Report) => a.username),
        ["alice@contoso.example", "bob@contoso.example", "chlo\u00e9@contoso.example"],
      );
      assert.equal(r.accounts[0].nativeAccountId, "double-account-alice");
      assert.equal(r.accounts[0].homeAccountId.split(".")[0], r.accounts[0].localAccountId);
      assertReleased(r);
    });

    it("removeAccount, after which the account needs interaction", async () => {
      const r = await scenario("double_pca", "remove");
      assert.deepEqual(r.remaining, ["alice@contoso.example", "chlo\u00e9@contoso.example"]);
      assert.equal(r.afterRemoval.name, "InteractionRequiredError");
      assertReleased(r);
    });

    it("proof-of-possession: parameters in order, pop header back", async () => {
      const r = await scenario("double_pca", "pop");
      assert.equal(r.result.tokenType, "pop");
      assert.match(r.result.authorizationHeader, /^pop double-at\./);
      assert.deepEqual(r.lastRequest.pop, {
        method: "POST",
        host: "api.contoso.example",
        path: "/things",
        nonce: "n0nce",
      });
      assertReleased(r);
    });

    it("50 concurrent calls", async () => {
      const r = await scenario("double_pca", "concurrent");
      assert.deepEqual(r.rejected, []);
      assert.equal(r.fulfilled, 50);
      assertReleased(r);
    });

    it("no broker: the Startup error is released and the broker is not used", async () => {
      const r = await scenario("double_pca", "no-broker");
      // The network path's browser sign-in finds no display (DISPLAY is unset) first.
      assert.equal(r.error.code, "no_browser", "fell back to the network path");
      assert.equal(r.popSupported, false);
      assert.deepEqual(r.accounts, []);
      assertReleased(r);
    });
  });

  describe("errors", () => {
    it("map from each status to a typed error with status, code, tag and context", async () => {
      const r = await scenario("double_pca", "statuses");
      const expected = (status: number) =>
        [2, 13].includes(status)
          ? "InteractionRequiredError"
          : [7, 8].includes(status)
          ? "UserCanceledError"
          : [3, 4, 5, 17].includes(status)
          ? "NetworkError"
          : "BrokerError";
      assert.equal(r.errors.length, 22);
      r.errors.forEach((e: Report, status: number) => {
        assert.equal(e.name, expected(status), `status ${status}`);
        assert.equal(e.status, status);
        assert.equal(e.errorCode, 2147942400 + status, "int64 error code");
        assert.equal(e.tag, 0x1f000000 + status);
        assert.equal(
          e.context,
          `double: AcquireTokenSilently failed with status ${status} for user '(pii)'`,
        );
        if (e.name === "BrokerError") assert.equal(e.code, "broker_error");
      });
      assertReleased(r);
    });

    it("a failing call while parameters are built or results read leaks nothing", async () => {
      const r = await scenario("double_pca", "sync-fail-calls");
      for (const [name, c] of Object.entries(r.cases as Record<string, Report>)) {
        assert.ok(c.error, `${name} should fail`);
        assert.equal(c.error.name, "BrokerError", name);
        assert.deepEqual(c.leaks, {}, `${name} leaked`);
      }
      assertReleased(r);
    });

    it("an *Async call that fails synchronously is a typed error", {}, async () => {
      const r = await scenario("double_pca", "sync-fail");
      assert.equal(r.cases.SignInInteractively.error.status, 6);
      assert.equal(r.cases.DiscoverAccounts.error.status, 0);
      for (const c of Object.values(r.cases as Record<string, Report>)) {
        assert.deepEqual(c.leaks, {});
      }
      assertReleased(r);
    });
  });

  describe("timeouts, cancellation and shutdown", () => {
    it("a hung call times out; its late completion is released; Shutdown waits", async () => {
      const r = await scenario("double_pca", "hung-timeout");
      assert.equal(r.error.code, "broker_timeout");
      assert.ok(r.elapsedMs >= 290 && r.elapsedMs < 3_000, `${r.elapsedMs} ms`);
      assert.equal(r.whileHung.outstanding, 1);
      assert.equal(r.shutdownCallsWhileHung, 0, "close() must not call Shutdown then");
      assert.equal(r.lateResultReleased, 1);
      assert.equal(r.afterClose.shutdownCalls, 1);
      assertReleased(r, ["async"]);
    });

    it("the async handle of a timed-out call is released", {}, async () => {
      assertReleased(await scenario("double_pca", "hung-timeout"));
    });

    it("an AbortSignal abandons the call (code aborted), cancels it, and leaks nothing", async () => {
      const r = await scenario("double_pca", "abort");
      assert.equal(r.error.name, "EntraAuthError");
      assert.equal(r.error.code, "aborted");
      assert.ok(r.elapsedMs < 1_500, `${r.elapsedMs} ms`);
      assert.equal(r.preAborted.code, "aborted");
      assert.equal(r.nativeCallsWhenPreAborted, 0, "an aborted signal makes no native call");
      assert.equal(r.cancels, 1);
      assertReleased(r);
    });

    it("shutdown() refuses while a call is outstanding, then shuts down once", async () => {
      const r = await scenario("double_runtime", "shutdown");
      assert.equal(r.duringCall, false);
      assert.equal(r.shutdownCallsDuring, 0);
      assert.equal(r.afterCall, true);
      assert.equal(r.again, true);
      assert.equal(r.afterShutdown.code, "invalid_argument");
      assert.equal(r.counters.shutdownCalls, 1);
      assert.equal(r.counters.shutdownWhileOutstanding, 0);
      assert.equal(r.counters.started, 0);
      assertReleased(r);
    });
  });

  describe("completion before the *Async call returns", () => {
    it("works through the public API", async () => {
      const r = await scenario("double_pca", "early");
      assert.equal(r.counters.earlyCompletions, 2);
      assert.equal(r.direct.username, "alice@contoso.example");
      assert.equal(r.viaUi.username, "alice@contoso.example");
      assertReleased(r, ["async"]);
    });

    it("works for every operation kind of the binding", async () => {
      const r = await scenario("double_runtime", "early");
      assert.equal(r.counters.earlyCompletions, 6);
      assert.equal(r.username, "alice@contoso.example");
      assert.equal(r.usernames.length, 3);
      assert.equal(r.tokenUser, "bob@contoso.example");
      assert.equal(r.tokenHasAccount, false, "the silent result does not read the account again");
      assert.equal(r.signOut, null);
      assert.equal(r.missing, null, "status 16 from ReadAccountById is 'no account'");
      assertReleased(r, ["async"]);
    });

    it("releases the async handle", async () => {
      assertReleased(await scenario("double_pca", "early"));
      assertReleased(await scenario("double_runtime", "early"));
    });
  });

  describe("logging and the PII switch", () => {
    it("log lines from calling and worker threads, redacted, handle released at close", async () => {
      const r = await scenario("double_pca", "logs");
      assert.ok(r.brokerLines > 0);
      assert.ok(r.counters.logLinesCaller > 0, "lines on the calling thread");
      assert.ok(r.counters.logLinesWorker > 0, "lines on worker threads");
      assert.equal(r.redacted, true);
      assert.equal(r.leaked, false);
      assert.equal(r.mangled, false, "messages are copied before the buffer is reused");
      assert.equal(r.pii, 0);
      assertReleased(r, ["logCallback"]);
      assert.equal(r.afterClose.live.logCallback, 0);
    });

    it("PII on: names in log lines and error contexts", async () => {
      const r = await scenario("double_pca", "logs-pii");
      assert.equal(r.pii, 1);
      assert.equal(r.named, true);
      assert.equal(r.error.name, "NetworkError");
      assert.match(r.error.context, /for user 'alice@contoso\.example'/);
      assertReleased(r, ["logCallback"]);
      assert.equal(r.afterClose.live.logCallback, 0);
    });
  });
});

/**
 * Broker options checked at the boundary, and the error families' shape (no broker needed).
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  BrokerError,
  brokerErrorFrom,
  EntraAuthError,
  InteractionRequiredError,
  NetworkError,
  PublicClientApplication,
  RedirectUriError,
  UserCanceledError,
} from "../../mod.ts";

function make(broker: Record<string, unknown>) {
  return new PublicClientApplication({
    clientId: "04b07795-8ddb-461a-bbee-02f9e1bf7b46",
    authority: "https://login.microsoftonline.com/organizations",
    enableBrokerOnLinux: true,
    broker,
  });
}

describe("broker options", () => {
  for (const key of ["silentTimeoutMs", "interactiveTimeoutMs", "startupTimeoutMs"]) {
    it(`refuses a ${key} timers cannot hold`, () => {
      for (const value of [0, -1, Number.NaN, Infinity, 2 ** 31, 1e21, "5000"]) {
        assert.throws(
          () => make({ [key]: value }),
          (e: unknown) =>
            e instanceof EntraAuthError && e.code === "invalid_argument"
            && e.message.includes(`broker.${key}`),
          `${key}: ${String(value)}`,
        );
      }
      make({ [key]: 1 });
      make({ [key]: 2 ** 31 - 1 });
    });
  }
});

describe("error families", () => {
  const report = (status: number, context = "") => ({ status, errorCode: 7, tag: 0x2a, context });

  it("no family but BrokerError extends BrokerError; each carries the broker's report", () => {
    const cases: [number, string, new(...a: never[]) => EntraAuthError, string][] = [
      [2, "", InteractionRequiredError, "interaction_required"],
      [13, "", InteractionRequiredError, "interaction_required"],
      [7, "", UserCanceledError, "user_canceled"],
      [4, "", NetworkError, "network_error"],
      [
        9,
        "AADSTS50011: The redirect URI 'x' does not match",
        RedirectUriError,
        "redirect_uri_not_registered",
      ],
      [0, "DBUS failed", BrokerError, "broker_error"],
    ];
    for (const [status, context, cls, code] of cases) {
      const err = brokerErrorFrom(report(status, context), "op");
      assert.ok(err instanceof cls, `${status}: ${err.name}`);
      assert.ok(err instanceof EntraAuthError);
      assert.equal(err.code, code);
      assert.equal(err instanceof BrokerError, cls === BrokerError, `${status}: ${err.name}`);
      assert.deepEqual(err.broker, report(status, context));
      assert.equal(err.operation, "op");
    }
    const broker = brokerErrorFrom(report(0, "DBUS failed"), "op") as BrokerError;
    assert.equal(broker.status, 0);
    assert.equal(broker.tag, 0x2a);
    assert.equal(broker.context, "DBUS failed");
  });

  it("a plain network failure is not a BrokerError and has no broker report", () => {
    const err = new NetworkError("offline");
    assert.ok(!(err instanceof BrokerError));
    assert.equal(err.broker, undefined);
  });
});

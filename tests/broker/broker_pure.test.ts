/**
 * The broker module's pure parts (no MSALRuntime, no broker session): id-token claims and
 * accounts as the broker reports them, the broker redirect URI per OS, and the process's
 * record of broker sign-outs.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { RuntimeAccount } from "../../ffi/msalruntime/binding.ts";
import { accountFromClaims, parseClaims, toAccountInfo } from "../../src/broker/broker_accounts.ts";
import { brokerRedirectUri, LINUX_BROKER_REDIRECT_URI } from "../../src/broker/redirect_uri.ts";
import { SignedOutAccounts } from "../../src/broker/signed_out.ts";

/** An unsigned JWT whose payload is `claims` (only the payload is read here). */
function jwt(claims: Record<string, unknown>): string {
  const part = (v: unknown) =>
    btoa(JSON.stringify(v)).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
  return `${part({ alg: "none" })}.${part(claims)}.`;
}

const RAW = jwt({ from: "raw", oid: "raw-oid" });

describe("broker accounts and claims", () => {
  it("parseClaims prefers MSALRuntime's decoded claims when they are a JSON object", () => {
    assert.deepEqual(parseClaims("{\"from\":\"json\",\"tid\":\"t\"}", RAW), {
      from: "json",
      tid: "t",
    });
    assert.deepEqual(parseClaims("{}", RAW), {});
  });

  it("parseClaims falls back to the raw token for anything but a JSON object", () => {
    for (const json of ["", "not json", "null", "0", "42", "\"text\"", "true", "false"]) {
      assert.deepEqual(parseClaims(json, RAW), { from: "raw", oid: "raw-oid" }, json);
    }
    assert.deepEqual(parseClaims("null", "no-token"), {});
  });

  it("toAccountInfo maps every field of the broker's account", () => {
    const claims = { name: "Ada" };
    const data = {
      homeAccountId: "uid.utid",
      environment: "login.microsoftonline.com",
      realm: "utid",
      username: "ada@example.com",
      localAccountId: "uid",
      name: "Ada Lovelace",
      accountId: "native-1",
    };
    const a = { data } as unknown as RuntimeAccount;
    assert.deepEqual(toAccountInfo(a, claims), {
      homeAccountId: "uid.utid",
      environment: "login.microsoftonline.com",
      tenantId: "utid",
      username: "ada@example.com",
      localAccountId: "uid",
      name: "Ada Lovelace",
      nativeAccountId: "native-1",
      idTokenClaims: claims,
    });
    // An account without a display name has none (not an empty one).
    const unnamed = toAccountInfo({ data: { ...data, name: "" } } as unknown as RuntimeAccount);
    assert.equal(unnamed.name, undefined);
    assert.equal(unnamed.idTokenClaims, undefined);
  });

  it("accountFromClaims builds the account from the id token's claims alone", () => {
    const claims = {
      oid: "uid",
      tid: "utid",
      preferred_username: "ada@example.com",
      name: "Ada Lovelace",
    };
    assert.deepEqual(accountFromClaims(claims), {
      homeAccountId: "uid.utid",
      environment: "",
      tenantId: "utid",
      username: "ada@example.com",
      localAccountId: "uid",
      name: "Ada Lovelace",
      idTokenClaims: claims,
    });
  });

  it("accountFromClaims ignores claims that are not strings, and an empty name", () => {
    const claims = { oid: 7, tid: ["utid"], preferred_username: null, name: "" };
    const a = accountFromClaims(claims);
    assert.deepEqual(a, {
      homeAccountId: ".",
      environment: "",
      tenantId: "",
      username: "",
      localAccountId: "",
      name: undefined,
      idTokenClaims: claims,
    });
    assert.equal(accountFromClaims({ name: 5 }).name, undefined);
  });
});

describe("broker redirect URI", () => {
  it("is the registered URI of each OS's broker", () => {
    assert.equal(
      LINUX_BROKER_REDIRECT_URI,
      "https://login.microsoftonline.com/common/oauth2/nativeclient",
    );
    assert.equal(brokerRedirectUri("linux", "cid"), LINUX_BROKER_REDIRECT_URI);
    assert.equal(brokerRedirectUri("freebsd", "cid"), LINUX_BROKER_REDIRECT_URI);
    assert.equal(
      brokerRedirectUri("win32", "00000000-0000-0000-0000-000000000001"),
      "ms-appx-web://Microsoft.AAD.BrokerPlugin/00000000-0000-0000-0000-000000000001",
    );
    assert.equal(
      brokerRedirectUri("darwin", "cid", "com.example.app"),
      "msauth.com.example.app://auth",
    );
    assert.equal(brokerRedirectUri("darwin", "cid"), "msauth.com.msauth.unsignedapp://auth");
    assert.equal(brokerRedirectUri("darwin", "cid", ""), "msauth.com.msauth.unsignedapp://auth");
  });
});

describe("broker sign-outs", () => {
  it("are shared by every record of one client id, and kept apart per client id", () => {
    const a = new SignedOutAccounts("pure-test-client-a");
    const b = new SignedOutAccounts("pure-test-client-a");
    const other = new SignedOutAccounts("pure-test-client-b");
    assert.equal(a.has("uid.utid"), false);
    a.add("uid.utid");
    assert.equal(a.has("uid.utid"), true);
    assert.equal(b.has("uid.utid"), true);
    assert.equal(other.has("uid.utid"), false);
    b.delete("uid.utid");
    assert.equal(a.has("uid.utid"), false);
  });

  it("ignore an empty home account id", () => {
    const r = new SignedOutAccounts("pure-test-client-c");
    r.add("");
    assert.equal(r.has(""), false);
  });
});

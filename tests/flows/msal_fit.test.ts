/**
 * What people coming from msal-node and MSAL Python rely on: the result's `fromCache`,
 * `refreshOn`, `extExpiresOn`, `tokenType` and `authority`, and a clear error naming our
 * configuration when msal-node's nested one is passed.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  EntraAuthError,
  PublicClientApplication,
  type PublicClientApplicationOptions,
} from "../../mod.ts";
import {
  ALICE,
  makeNetworkEmulator,
  TEST_CLIENT_ID,
  TEST_TENANT_ID,
} from "../support/network_emulator.ts";

const AUTHORITY = `https://login.microsoftonline.com/${TEST_TENANT_ID}`;

describe("API fit for msal-node and MSAL Python users", { timeout: 60_000 }, () => {
  it("refuses msal-node's configuration shape with a message showing ours", () => {
    const msalShape = { auth: { clientId: TEST_CLIENT_ID, authority: AUTHORITY } };
    assert.throws(
      () => new PublicClientApplication(msalShape as unknown as PublicClientApplicationOptions),
      (err: unknown) =>
        err instanceof EntraAuthError && err.code === "invalid_argument"
        && /msal-node/.test(err.message)
        && /new PublicClientApplication\(\{ clientId/.test(err.message),
    );
  });

  it("returns fromCache, refreshOn, extExpiresOn, tokenType and authority", async () => {
    const emulator = makeNetworkEmulator({
      lifetimes: { accessToken: 3600, extendedAccessToken: 7200, refreshIn: 1800 },
    });
    const app = new PublicClientApplication({
      clientId: TEST_CLIENT_ID,
      authority: AUTHORITY,
      fetch: emulator.fetch,
    });
    const first = await app.acquireTokenByDeviceCode({
      scopes: ["User.Read"],
      deviceCodeCallback: (info) => emulator.approveDeviceCode(info.userCode, ALICE),
    });
    assert.equal(first.fromCache, false);
    assert.equal(first.tokenType, "Bearer");
    assert.equal(first.authority, AUTHORITY);
    const expires = first.expiresOn.getTime();
    assert.ok(
      first.refreshOn && Math.abs(first.refreshOn.getTime() - (expires - 1_800_000)) < 5000,
    );
    assert.ok(
      first.extExpiresOn && Math.abs(first.extExpiresOn.getTime() - (expires + 3_600_000)) < 5000,
    );

    const again = await app.acquireTokenSilent({ scopes: ["User.Read"], account: first.account });
    assert.equal(again.fromCache, true);
    assert.equal(again.authority, AUTHORITY);
    assert.equal(again.refreshOn?.getTime(), first.refreshOn?.getTime());
  });
});

/**
 * Misuse of the application's methods gives typed errors, never a plain TypeError:
 * `acquireTokenSilent` without an account is an `InteractionRequiredError` (so the README's
 * "silent, else interactive" needs no hand-made throw); anything else malformed is
 * `invalid_argument`.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { EntraAuthError, InteractionRequiredError, PublicClientApplication } from "../../mod.ts";
import type { AccountInfo } from "../../src/result.ts";
import {
  makeNetworkEmulator,
  TEST_CLIENT_ID,
  TEST_TENANT_ID,
} from "../support/network_emulator.ts";

function app() {
  const emulator = makeNetworkEmulator();
  return new PublicClientApplication({
    clientId: TEST_CLIENT_ID,
    authority: `https://login.microsoftonline.com/${TEST_TENANT_ID}`,
    fetch: emulator.fetch,
  });
}

async function code(p: Promise<unknown> | (() => unknown)): Promise<string> {
  try {
    await (typeof p === "function" ? p() : p);
  } catch (err) {
    assert.ok(err instanceof EntraAuthError, `not an EntraAuthError: ${String(err)}`);
    return err.code;
  }
  return "resolved";
}

describe("PublicClientApplication misuse", { timeout: 30_000 }, () => {
  it("acquireTokenSilent without an account requires interaction", async () => {
    const pca = app();
    for (const account of [undefined, null, {}, { homeAccountId: "" }]) {
      const err = await pca.acquireTokenSilent({
        scopes: ["User.Read"],
        account: account as unknown as AccountInfo,
      }).catch((e) => e);
      assert.ok(err instanceof InteractionRequiredError, `${JSON.stringify(account)}: ${err}`);
      assert.equal(err.code, "interaction_required");
    }
  });

  it("other misuse is invalid_argument", async () => {
    const pca = app();
    const bad = undefined as never;
    assert.equal(await code(() => pca.acquireTokenSilent(bad)), "invalid_argument");
    assert.equal(await code(() => pca.acquireTokenSilent(null as never)), "invalid_argument");
    assert.equal(
      await code(() => pca.acquireTokenSilent({ scopes: "User.Read", account: {} } as never)),
      "invalid_argument",
    );
    assert.equal(await code(() => pca.removeAccount(bad)), "invalid_argument");
    assert.equal(await code(() => pca.removeAccount(null as never)), "invalid_argument");
    assert.equal(await code(() => pca.removeAccount({} as never)), "invalid_argument");
    assert.equal(await code(() => pca.acquireTokenInteractive(bad)), "invalid_argument");
    assert.equal(await code(() => pca.acquireTokenByDeviceCode(bad)), "invalid_argument");
    assert.equal(
      await code(() => pca.acquireTokenByDeviceCode({ scopes: ["User.Read"] } as never)),
      "invalid_argument",
    );
    assert.equal(
      await code(() =>
        pca.acquireTokenInteractive({ scopes: ["User.Read"], signal: "no" } as never)
      ),
      "invalid_argument",
    );
    assert.equal(
      await code(() => new PublicClientApplication(undefined as never)),
      "invalid_argument",
    );
  });
});

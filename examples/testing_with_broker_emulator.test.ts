/**
 * Testing your own brokered app against the broker emulator (Linux): the real MSALRuntime
 * talks to an emulated Microsoft Single Sign-on for Linux on a private D-Bus bus, with no
 * tenant and no network. Run the tests inside the launcher that ships with the package:
 *
 *   npx entra-auth-with-broker -- node --test            # or bun test, deno test -A
 *
 * The app needs MSALRuntime (`npm install @azure/msal-node-runtime`). The launcher sets
 * ENTRA_AUTH_BROKER_EMULATOR_URL, the emulator's control API: set its users, queue faults
 * (any broker status), read the requests it received. Outside the launcher these tests skip.
 *
 * @module
 */

import { InteractionRequiredError, PublicClientApplication } from "entra-auth"; // JSR: "@entra-auth/core"
import assert from "node:assert/strict";
import process from "node:process";
import { after, before, describe, it } from "node:test";

const control = process.env.ENTRA_AUTH_BROKER_EMULATOR_URL;
const skip = control ? false : "run inside entra-auth-with-broker";

async function emulator(path: string, method = "GET", body?: unknown): Promise<unknown> {
  const res = await fetch(`${control}${path}`, {
    method,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`broker emulator ${path}: ${res.status} ${await res.text()}`);
  return await res.json();
}

// One application for the file: MSALRuntime starts once per process and cannot be started
// again after `close()`, so close it after the last test.
const app = new PublicClientApplication({
  clientId: "04b07795-8ddb-461a-bbee-02f9e1bf7b46",
  authority: "https://login.microsoftonline.com/organizations",
  enableBrokerOnLinux: true,
});
after(() => app.close());

// The emulator is shared by every test run inside one launcher session: put its users back
// as they were after this file.
let savedUsers: unknown;
before(async () => {
  if (control) savedUsers = ((await emulator("/users")) as { users: unknown[]; }).users;
});
after(async () => {
  if (control && savedUsers) await emulator("/users", "PUT", savedUsers);
});

describe("my brokered app", { skip, timeout: 120_000 }, () => {
  it("signs in the user the broker knows", async () => {
    await emulator("/users", "PUT", [{ username: "ada@contoso.example", name: "Ada" }]);
    // The emulator shows no UI: any non-zero window handle will do.
    const result = await app.acquireTokenInteractive({
      scopes: ["User.Read"],
      parentWindowHandle: 1n,
    });
    assert.equal(result.fromBroker, true);
    assert.equal(result.account.username, "ada@contoso.example");
  });

  it("handles a broker that asks for interaction", async () => {
    await emulator("/users", "PUT", [{ username: "ada@contoso.example" }]);
    try {
      const signedIn = await app.acquireTokenInteractive({
        scopes: ["User.Read"],
        parentWindowHandle: 1n,
      });
      // The next silent call fails as a real broker does when consent or MFA is needed.
      await emulator("/faults", "POST", {
        method: "acquireTokenSilently",
        kind: "error",
        status: 2,
      });
      await assert.rejects(
        app.acquireTokenSilent({ scopes: ["Files.Read"], account: signedIn.account }),
        InteractionRequiredError,
      );
    } finally {
      await emulator("/faults", "DELETE");
    }
  });
});

/**
 * Helpers for the network tests: an emulator with a family of apps and an extra (non
 * well-known) cloud, and a "browser" that follows the authorize redirects with fetch.
 *
 * @module
 */

import {
  createEntraEmulator,
  DEFAULT_CLOUDS,
  type EntraEmulator,
  type EntraEmulatorOptions,
  TEST_CLIENT_ID,
  TEST_TENANT_ID,
} from "../../src/testing/entra_emulator/mod.ts";

export { TEST_CLIENT_ID, TEST_TENANT_ID };

/** A second member of FOCI family "1". */
export const FAMILY_APP = "22222222-0000-4000-8000-00000000a002";
/** An app outside any family. */
export const LONE_APP = "33333333-0000-4000-8000-00000000a003";
/** The user. */
export const ALICE = "alice@contoso.onmicrosoft.com";
/** Alice's password. */
export const ALICE_PASSWORD = "pw-alice";
/** Alice's oid. */
export const ALICE_OID = "00000000-0000-4000-8000-0000000a11ce";
/** A private Entra cloud that only instance discovery knows. */
export const PRIVATE_HOST = "login.private-cloud.example";

/**
 * An emulator with one tenant, Alice, three apps and an extra cloud.
 *
 * @param extra options to override
 * @returns the emulator
 */
export function makeNetworkEmulator(extra: EntraEmulatorOptions = {}): EntraEmulator {
  return createEntraEmulator({
    users: [{
      oid: ALICE_OID,
      tid: TEST_TENANT_ID,
      username: ALICE,
      name: "Alice Example",
      password: ALICE_PASSWORD,
    }],
    apps: [
      {
        clientId: TEST_CLIENT_ID,
        name: "Network Test App",
        redirectUris: ["http://localhost", "http://127.0.0.1", "http://127.0.0.1/cb"],
        familyId: "1",
      },
      { clientId: FAMILY_APP, redirectUris: ["http://localhost"], familyId: "1" },
      { clientId: LONE_APP, redirectUris: ["http://localhost"] },
    ],
    clouds: [
      ...DEFAULT_CLOUDS.map((c) => ({ ...c, aliases: [...c.aliases] })),
      {
        preferredNetwork: PRIVATE_HOST,
        preferredCache: PRIVATE_HOST,
        aliases: [PRIVATE_HOST, "sts.private-cloud.example"],
        instanceName: "private-cloud.example",
        graphHost: "graph.private-cloud.example",
      },
    ],
    ...extra,
  });
}

/**
 * A stand-in browser for flows that need no real one: GETs the authorize URL through the
 * emulator (auto-login by `login_hint`) and delivers the redirect to the loopback server at
 * 127.0.0.1.
 *
 * @param emulator the emulator (its fetch serves the authorize URL)
 * @param onRedirect sees the redirect URL before it is delivered (may replace it)
 * @returns an `openBrowser` callback
 */
export function fetchBrowser(
  emulator: EntraEmulator,
  onRedirect: (url: URL) => URL = (url) => url,
): (url: string) => Promise<void> {
  return async (url: string) => {
    const res = await emulator.fetch(url, { redirect: "manual" });
    const location = res.headers.get("location");
    if (location === null) throw new Error(`authorize did not redirect (HTTP ${res.status})`);
    const target = onRedirect(new URL(location));
    target.hostname = "127.0.0.1";
    // Delivered in the background, as a browser would; the flow awaits the server.
    fetch(target).then((r) => r.body?.cancel()).catch(() => {});
  };
}

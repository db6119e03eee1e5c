/**
 * The demo: signs in through the real MSALRuntime (from @azure/msal-node-runtime) against the
 * bundled broker emulator, as an app on an Intune-enrolled Linux laptop would against
 * Microsoft Single Sign-on for Linux. Run by scripts/demo.sh inside scripts/with-broker.sh.
 */

import process from "node:process";
import { CONSOLE_WINDOW_HANDLE, PublicClientApplication } from "../mod.ts";

const app = new PublicClientApplication({
  clientId: "04b07795-8ddb-461a-bbee-02f9e1bf7b46",
  authority: "https://login.microsoftonline.com/organizations",
  enableBrokerOnLinux: true,
  logger: {
    level: "info",
    loggerCallback: (level, message) => console.error(`[${level}] ${message}`),
  },
});

const scopes = ["https://graph.microsoft.com/User.Read"];
// With no display, CONSOLE_WINDOW_HANDLE has no X11 window to offer; the emulator shows no UI,
// so any non-zero handle will do for the demo.
const parentWindowHandle = process.env.DISPLAY ? CONSOLE_WINDOW_HANDLE : 1n;

const result = await app.acquireTokenInteractive({ scopes, parentWindowHandle });
console.log("Signed in through the broker:", result.fromBroker);
console.log("  account:   ", result.account.username, `(${result.account.name ?? ""})`);
console.log("  tenant:    ", result.tenantId);
console.log("  home id:   ", result.account.homeAccountId);
console.log("  expires:   ", result.expiresOn.toISOString());
console.log("  scopes:    ", result.scopes.join(" "));
console.log("  id token claims:");
for (const key of ["iss", "aud", "oid", "tid", "preferred_username", "name"]) {
  console.log(`    ${key.padEnd(20)} ${String(result.idTokenClaims[key])}`);
}

const silent = await app.acquireTokenSilent({ scopes, account: result.account });
console.log("Silent token for the same account:", silent.accessToken.length > 0 ? "ok" : "missing");
const accounts = await app.getAccounts();
console.log("Accounts the broker knows:", accounts.map((a) => a.username).join(", "));
await app.close();

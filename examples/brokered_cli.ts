/**
 * A command-line tool that signs in through the OS authentication broker (Microsoft Single
 * Sign-on for Linux, Enterprise SSO on macOS, WAM on Windows), silently when it can.
 *
 * Needs MSALRuntime in the app: `npm install @azure/msal-node-runtime` (or `bun add`,
 * `deno add npm:`). Runs on Node, Bun and Deno
 * (`deno run --allow-ffi --allow-env --allow-read --allow-sys --allow-net --allow-run`).
 *
 * Try it with no tenant: `npx entra-auth-with-broker -- node brokered_cli.js` (Linux).
 *
 * @module
 */

import {
  type AuthenticationResult,
  CONSOLE_WINDOW_HANDLE,
  InteractionRequiredError,
  PublicClientApplication,
} from "entra-auth"; // Deno from JSR: "@entra-auth/core"
import process from "node:process";

const app = new PublicClientApplication({
  clientId: process.env.CLIENT_ID ?? "04b07795-8ddb-461a-bbee-02f9e1bf7b46",
  authority: "https://login.microsoftonline.com/organizations",
  enableBrokerOnLinux: true,
  enableBrokerOnMac: true,
  enableBrokerOnWindows: true,
});
const scopes = ["User.Read"];

const [account] = await app.getAccounts();
let result: AuthenticationResult;
try {
  if (!account) throw new InteractionRequiredError("no account yet");
  result = await app.acquireTokenSilent({ scopes, account });
} catch (err) {
  if (!(err instanceof InteractionRequiredError)) throw err;
  // With no display (SSH), CONSOLE_WINDOW_HANDLE is refused with code "no_window".
  result = await app.acquireTokenInteractive({
    scopes,
    parentWindowHandle: process.env.DISPLAY ? CONSOLE_WINDOW_HANDLE : 1n,
  });
}
// Never print the token itself: it is a credential.
console.log(`signed in as ${result.account.username} (broker: ${result.fromBroker})`);
console.log(`token expires ${result.expiresOn.toISOString()}`);
await app.close();

/**
 * Device code sign-in on a machine with no browser (a server, a container, SSH): the user
 * opens the URL on any device and types the code. Runs on Node, Bun and Deno
 * (`deno run --allow-net --allow-env`).
 *
 * Configured by environment variables, as a server is: CLIENT_ID, AUTHORITY and, for a
 * private or test host (such as the Entra ID emulator), KNOWN_AUTHORITY_HOSTS
 * (comma-separated, e.g. `127.0.0.1`).
 *
 * @module
 */

import { PublicClientApplication } from "entra-auth"; // Deno from JSR: "@entra-auth/core"
import process from "node:process";

const app = new PublicClientApplication({
  clientId: process.env.CLIENT_ID ?? "<your app's client id>",
  authority: process.env.AUTHORITY ?? "https://login.microsoftonline.com/organizations",
  knownAuthorityHosts: process.env.KNOWN_AUTHORITY_HOSTS?.split(","),
});

const result = await app.acquireTokenByDeviceCode({
  scopes: ["User.Read"],
  // e.g. "To sign in, use a web browser to open the page https://microsoft.com/devicelogin
  // and enter the code ABCD-EFGH to authenticate."
  deviceCodeCallback: (info) => console.log(info.message),
  signal: AbortSignal.timeout(5 * 60_000), // give up after 5 minutes
});
console.log(`signed in as ${result.account.username}`);
console.log(`Authorization: Bearer <${result.accessToken.length} characters>`);

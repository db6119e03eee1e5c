/**
 * A persistent token cache: the first run signs in (device code), later runs (any process of
 * the user, Deno, Bun or Node) get the token silently from the cache file. Runs on Node, Bun
 * and Deno (`deno run --allow-net --allow-env --allow-read --allow-write --allow-sys --allow-ffi`:
 * `--allow-sys` for the lock file's host name, `--allow-ffi` for the OS keyring).
 *
 * Environment: CLIENT_ID, AUTHORITY, KNOWN_AUTHORITY_HOSTS (as in device_code_server.ts),
 * CACHE_PATH (default: the user's cache folder), CACHE_ENCRYPTION (`keyring`, the default, or
 * `plaintext`).
 *
 * @module
 */

import {
  type AuthenticationResult,
  InteractionRequiredError,
  PublicClientApplication,
} from "entra-auth"; // Deno from JSR: "@entra-auth/core"
import process from "node:process";

const app = new PublicClientApplication({
  clientId: process.env.CLIENT_ID ?? "<your app's client id>",
  authority: process.env.AUTHORITY ?? "https://login.microsoftonline.com/organizations",
  knownAuthorityHosts: process.env.KNOWN_AUTHORITY_HOSTS?.split(","),
  persistentCache: {
    path: process.env.CACHE_PATH, // undefined: <user cache folder>/entra-auth/token_cache.json
    // "keyring" encrypts with a key kept by the OS keyring; "plaintext" must be chosen explicitly.
    encryption: process.env.CACHE_ENCRYPTION === "plaintext" ? "plaintext" : "keyring",
  },
});
const scopes = ["User.Read"];

const [account] = await app.getAccounts();
let result: AuthenticationResult;
try {
  if (!account) throw new InteractionRequiredError("no account in the cache yet");
  result = await app.acquireTokenSilent({ scopes, account });
} catch (err) {
  if (!(err instanceof InteractionRequiredError)) throw err;
  result = await app.acquireTokenByDeviceCode({
    scopes,
    deviceCodeCallback: (info) => console.log(info.message),
  });
}
console.log(`signed in as ${result.account.username} (from cache: ${result.fromCache})`);

// A certified OpenID provider (the npm package oidc-provider) on 127.0.0.1 for the generic
// OIDC tests. It runs on Node whatever runtime runs the tests (oidc-provider relies on Node's
// HTTP internals), so the tests reach it over HTTP in Deno, Bun and Node alike.
// Prints {"issuer": "..."} on its first line of output; ends when its stdin closes.
import { createServer } from "node:http";
import process from "node:process";
import Provider from "oidc-provider";

const client = process.argv[2] ?? "entra-auth-oidc-test";
const server = createServer();
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;
const provider = new Provider(issuer, {
  clients: [{
    client_id: client,
    application_type: "native",
    token_endpoint_auth_method: "none",
    redirect_uris: ["http://127.0.0.1/cb", "http://127.0.0.1/"],
    grant_types: [
      "authorization_code",
      "refresh_token",
      "urn:ietf:params:oauth:grant-type:device_code",
    ],
    response_types: ["code"],
  }],
  pkce: { required: () => true },
  features: { devInteractions: { enabled: true }, deviceFlow: { enabled: true } },
  findAccount: (_ctx, id) => ({ accountId: id, claims: () => ({ sub: id, name: `User ${id}` }) }),
  claims: { openid: ["sub"], profile: ["name"] },
});
server.on("request", provider.callback());
process.stdout.write(JSON.stringify({ issuer }) + "\n");
process.stdin.resume();
process.stdin.on("end", () => process.exit(0));
process.stdin.on("close", () => process.exit(0));

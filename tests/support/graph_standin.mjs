// A small Microsoft Graph stand-in on 127.0.0.1 over HTTPS (self-signed certificate made by
// openssl), for the Graph client's tests. It runs on Node whatever runtime runs the tests.
// Usage: node graph_standin.mjs <cert.pem> <key.pem>
// GET /v1.0/me answers the signed-in user when `Authorization: Bearer <JWT>` carries a token
// for Graph (aud https://graph.microsoft.com) that has not expired. The FIRST valid token it
// sees is answered with a CAE claims challenge (401, WWW-Authenticate error="insufficient_claims"
// with base64 claims) and is revoked from then on: only a new token gets through.
// Prints {"url": "..."} first; then one JSON line per request: {"path", "status", "token"}.
// Ends when its stdin closes.
import { readFileSync } from "node:fs";
import { createServer } from "node:https";
import process from "node:process";

const [certFile, keyFile] = process.argv.slice(2);
const CHALLENGE_CLAIMS = JSON.stringify({
  access_token: { nbf: { essential: true, value: String(Math.floor(Date.now() / 1000)) } },
});
const revoked = new Set();
let challenged = false;

function claimsOf(jwt) {
  try {
    return JSON.parse(Buffer.from(jwt.split(".")[1], "base64url").toString("utf8"));
  } catch {
    return undefined;
  }
}

function reply(res, status, body, headers = {}) {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}

const server = createServer(
  { cert: readFileSync(certFile), key: readFileSync(keyFile) },
  (req, res) => {
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1];
    const claims = token ? claimsOf(token) : undefined;
    let status = 200;
    const valid = claims && claims.aud === "https://graph.microsoft.com"
      && typeof claims.exp === "number" && claims.exp * 1000 > Date.now();
    if (req.url !== "/v1.0/me" || req.method !== "GET") status = 404;
    else if (!valid) status = 401;
    else if (revoked.has(token)) status = 401;
    else if (!challenged) {
      challenged = true;
      revoked.add(token);
      status = 401;
    }
    process.stdout.write(JSON.stringify({ path: req.url, status, token: token ?? null }) + "\n");
    if (status === 404) {
      return reply(res, 404, {
        error: { code: "NotFound", message: "no such route" },
      });
    }
    if (status === 401) {
      const challenge = revoked.has(token)
        ? `Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000", error="insufficient_claims", claims="${
          Buffer.from(CHALLENGE_CLAIMS).toString("base64")
        }"`
        : `Bearer realm="", error="invalid_token"`;
      return reply(res, 401, {
        error: {
          code: "InvalidAuthenticationToken",
          message: "Continuous access evaluation resulted in challenge",
        },
      }, { "www-authenticate": challenge });
    }
    reply(res, 200, {
      "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users/$entity",
      id: claims.oid,
      userPrincipalName: claims.upn,
      displayName: claims.name,
    });
  },
);
server.listen(0, "127.0.0.1", () => {
  process.stdout.write(
    JSON.stringify({ url: `https://127.0.0.1:${server.address().port}`, claims: CHALLENGE_CLAIMS })
      + "\n",
  );
});
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();

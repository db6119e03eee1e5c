// A small HTTPS (or HTTP) server on 127.0.0.1 standing in for a Kubernetes API server or a git
// host, for the command line's tests. It runs on Node whatever runtime runs the tests.
// Usage: node bearer_server.mjs <https|http> <expected audience> [basic]
//   - bearer mode: accepts `Authorization: Bearer <JWT>` whose `aud` is the expected audience
//     and that has not expired; GET /api answers a Kubernetes APIVersions object.
//   - basic mode: accepts `Authorization: Basic` whose password is such a JWT; GET
//     /repo.git/info/refs answers a dumb-protocol ref list (enough for `git ls-remote`).
// Prints {"url": "...", "certFile": "..."} first; then one JSON line per request:
// {"path", "authorized", "token"}. Ends when its stdin closes.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { createServer as createHttp } from "node:http";
import { createServer as createHttps } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";

const [scheme = "https", audience = "", mode = "bearer"] = process.argv.slice(2);

function claimsOf(jwt) {
  try {
    const part = jwt.split(".")[1];
    return JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
  } catch {
    return undefined;
  }
}

function tokenOf(header) {
  if (!header) return undefined;
  if (mode === "basic") {
    const m = /^Basic (.+)$/.exec(header);
    if (!m) return undefined;
    const text = Buffer.from(m[1], "base64").toString("utf8");
    return text.slice(text.indexOf(":") + 1);
  }
  return /^Bearer (.+)$/.exec(header)?.[1];
}

function handler(req, res) {
  const token = tokenOf(req.headers.authorization);
  const claims = token ? claimsOf(token) : undefined;
  const aud = claims?.aud;
  const authorized = Boolean(
    claims && (aud === audience || aud === `api://${audience}`)
      && typeof claims.exp === "number" && claims.exp * 1000 > Date.now(),
  );
  process.stdout.write(JSON.stringify({ path: req.url, authorized, token: token ?? null }) + "\n");
  if (!authorized) {
    res.writeHead(401, {
      "www-authenticate": mode === "basic" ? "Basic realm=\"test\"" : "Bearer",
      "content-type": "application/json",
    });
    res.end(
      "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\",\"reason\":\"Unauthorized\",\"code\":401}",
    );
    return;
  }
  if (mode === "basic") {
    res.writeHead(200, { "content-type": "text/plain" });
    res.end("0123456789abcdef0123456789abcdef01234567\trefs/heads/main\n");
    return;
  }
  res.writeHead(200, { "content-type": "application/json" });
  res.end(JSON.stringify({
    kind: "APIVersions",
    versions: ["v1"],
    serverAddressByClientCIDRs: [{ clientCIDR: "0.0.0.0/0", serverAddress: "127.0.0.1:443" }],
  }));
}

let server;
let certFile = null;
if (scheme === "https") {
  const dir = mkdtempSync(join(tmpdir(), "entra-bearer-"));
  certFile = join(dir, "cert.pem");
  const keyFile = join(dir, "key.pem");
  execFileSync("openssl", [
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-days",
    "1",
    "-subj",
    "/CN=127.0.0.1",
    "-addext",
    "subjectAltName=IP:127.0.0.1",
    "-keyout",
    keyFile,
    "-out",
    certFile,
  ], { stdio: "ignore" });
  server = createHttps({ key: readFileSync(keyFile), cert: readFileSync(certFile) }, handler);
} else {
  server = createHttp(handler);
}
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
const url = `${scheme}://127.0.0.1:${server.address().port}`;
process.stdout.write(JSON.stringify({ url, certFile }) + "\n");
process.stdin.resume();
process.stdin.on("end", () => process.exit(0));
process.stdin.on("close", () => process.exit(0));

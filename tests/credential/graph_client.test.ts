/**
 * The Microsoft Graph client (@microsoft/microsoft-graph-client with
 * TokenCredentialAuthenticationProvider) over EntraAuthCredential and the real MSALRuntime,
 * against a Graph stand-in on 127.0.0.1 that checks the bearer token and answers the first one
 * with a CAE claims challenge: the challenge is answered by a new token.
 */

import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { makeLoopbackCertificate } from "../support/azurite.ts";
import { brokerSkip, CLIENT_ID, SIGNED_IN_USER } from "../support/broker.ts";
import { runFixture } from "../support/fixtures.ts";
import { repoPath } from "../support/paths.ts";

interface Logged {
  path: string;
  status: number;
  token: string | null;
}

describe("Microsoft Graph client with EntraAuthCredential", { skip: brokerSkip }, () => {
  let dir: string;
  let caFile: string;
  let standin: ChildProcess;
  let url: string;
  let challengeClaims: string;
  const log: Logged[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "entra-graph-"));
    const cert = makeLoopbackCertificate(dir);
    caFile = cert.caFile;
    standin = spawn("node", [
      repoPath("tests", "support", "graph_standin.mjs"),
      cert.certFile,
      cert.keyFile,
    ], {
      stdio: ["pipe", "pipe", "inherit"],
    });
    await new Promise<void>((resolve, reject) => {
      let buffer = "";
      const timer = setTimeout(() => reject(new Error("the Graph stand-in did not start")), 20_000);
      standin.stdout!.on("data", (chunk: Buffer) => {
        buffer += chunk.toString();
        let nl;
        while ((nl = buffer.indexOf("\n")) >= 0) {
          const line = JSON.parse(buffer.slice(0, nl));
          buffer = buffer.slice(nl + 1);
          if (line.url) {
            url = line.url;
            challengeClaims = line.claims;
            clearTimeout(timer);
            resolve();
          } else log.push(line);
        }
      });
      standin.once("exit", (code) => reject(new Error(`the Graph stand-in exited (${code})`)));
    });
  }, { timeout: 30_000 });

  after(() => {
    standin?.stdin?.end();
    standin?.kill();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("gets /me with our token, and answers a claims challenge with a new token", {
    timeout: 90_000,
  }, async () => {
    const run = await runFixture("graph_client", [url, CLIENT_ID], {
      env: { NODE_EXTRA_CA_CERTS: caFile, DENO_CERT: caFile },
      timeoutMs: 80_000,
    });
    assert.equal(run.code, 0, `stdout:\n${run.stdout}\nstderr:\n${run.stderr}`);
    const out = JSON.parse(run.stdout.trim().split("\n").at(-1)!);
    assert.equal(out.me.userPrincipalName, SIGNED_IN_USER);
    assert.equal(out.again.userPrincipalName, SIGNED_IN_USER);
    assert.equal(out.challenge, challengeClaims, "the challenge's claims, decoded");
    // Let the stand-in's log lines arrive.
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(log.map((l) => l.status), [401, 200, 200]);
    assert.notEqual(log[1].token, log[0].token, "a new token after the challenge");
    assert.equal(log[2].token, log[1].token, "the new token is reused afterwards");
  });
});

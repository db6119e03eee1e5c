// What MSAL Python and the Azure CLI need from the Entra emulator (bench/cli/az.ts signs the
// real `az` in to it): HTTPS, and a `.default` request answered the way Entra answers it.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  type EmulatorServer,
  type EntraEmulator,
  TEST_CLIENT_ID,
  TEST_TENANT_ID,
} from "../../src/testing/entra_emulator/mod.ts";
import { makeLoopbackCertificate } from "../support/azurite.ts";
import { makeEmulator } from "./entra_emulator_helpers.ts";

/** A request over HTTPS trusting only `ca`; the reply's status and JSON body. */
function call(
  url: string,
  ca: string,
  form?: Record<string, string>,
): Promise<{ status: number; body: Record<string, unknown>; }> {
  const payload = form ? new URLSearchParams(form).toString() : undefined;
  return new Promise((resolve, reject) => {
    const req = request(url, {
      ca,
      method: form ? "POST" : "GET",
      headers: form ? { "content-type": "application/x-www-form-urlencoded" } : {},
      timeout: 10_000,
    }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (text += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
    });
    req.on("timeout", () => req.destroy(new Error(`no answer from ${url}`)));
    req.on("error", reject);
    req.end(payload);
  });
}

describe("entra emulator over HTTPS, as the Azure CLI uses it", () => {
  let emulator: EntraEmulator;
  let server: EmulatorServer;
  let ca: string;
  let dir: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "entra-emulator-tls-"));
    const files = makeLoopbackCertificate(dir);
    ca = readFileSync(files.caFile, "utf8");
    emulator = makeEmulator();
    server = await emulator.listen({
      tls: { key: readFileSync(files.keyFile, "utf8"), cert: readFileSync(files.certFile, "utf8") },
    });
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("serves HTTPS and names its own endpoints with https", async () => {
    assert.match(server.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    const { status, body } = await call(
      `${server.url}/${TEST_TENANT_ID}/v2.0/.well-known/openid-configuration`,
      ca,
    );
    assert.equal(status, 200);
    assert.equal(body.token_endpoint, `${server.url}/${TEST_TENANT_ID}/oauth2/v2.0/token`);
  });

  it("echoes a .default scope and keeps the resource as spelled (ARM's trailing slash)", async () => {
    const { status, body } = await call(`${server.url}/${TEST_TENANT_ID}/oauth2/v2.0/token`, ca, {
      grant_type: "password",
      client_id: TEST_CLIENT_ID,
      username: "alice@contoso.onmicrosoft.com",
      password: "pw-alice",
      scope: "https://management.core.windows.net//.default offline_access openid profile",
      client_info: "1",
    });
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal(
      body.scope,
      "https://management.core.windows.net//user_impersonation "
        + "https://management.core.windows.net//.default openid profile",
    );
  });

  it("echoes .default for Microsoft Graph, whose permissions keep their short names", async () => {
    const { body } = await call(`${server.url}/${TEST_TENANT_ID}/oauth2/v2.0/token`, ca, {
      grant_type: "password",
      client_id: TEST_CLIENT_ID,
      username: "alice@contoso.onmicrosoft.com",
      password: "pw-alice",
      scope: "https://graph.microsoft.com/.default openid",
    });
    assert.equal(body.scope, "User.Read https://graph.microsoft.com/.default openid");
  });
});

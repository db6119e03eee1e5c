/**
 * A real Azure SDK client, @azure/storage-blob, against Azurite (OAuth over HTTPS on
 * 127.0.0.1) with EntraAuthCredential over the real libmsalruntime.so and the broker
 * emulator: a container is created, a blob uploaded and read back, and the token the SDK sent
 * is ours (audience https://storage.azure.com, the storage scope, the signed-in user).
 */

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type Azurite, startAzurite } from "../support/azurite.ts";
import { brokerSkip, CLIENT_ID, SIGNED_IN_USER } from "../support/broker.ts";
import { runFixture } from "../support/fixtures.ts";

describe(
  "@azure/storage-blob with EntraAuthCredential against Azurite",
  { skip: brokerSkip },
  () => {
    let azurite: Azurite;
    before(async () => {
      azurite = await startAzurite();
    }, { timeout: 60_000 });
    after(async () => {
      await azurite?.stop();
    }, { timeout: 30_000 });

    it(
      "creates a container, uploads and reads a blob with our token",
      { timeout: 120_000 },
      async () => {
        const run = await runFixture("azure_storage_client", [azurite.url, CLIENT_ID], {
          env: { NODE_EXTRA_CA_CERTS: azurite.caFile, DENO_CERT: azurite.caFile },
          timeoutMs: 110_000,
        });
        assert.equal(run.code, 0, `stdout:\n${run.stdout}\nstderr:\n${run.stderr}`);
        const out = JSON.parse(run.stdout.trim().split("\n").at(-1)!);
        assert.equal(out.read, "Hello from entra-auth through the broker");
        assert.deepEqual(out.names, ["hello.txt"]);
        assert.match(out.refused, /^403 /, "Azurite refuses a token for another audience");
        assert.ok(out.given.length >= 1);
        for (const g of out.given) {
          assert.deepEqual(g.scopes, ["https://storage.azure.com/.default"]);
          assert.equal(g.claims.aud, "https://storage.azure.com");
          assert.equal(g.claims.upn, SIGNED_IN_USER);
          assert.equal(g.claims.appid, CLIENT_ID);
          assert.match(String(g.claims.iss), /^https:\/\/sts\.windows\.net\//);
        }
      },
    );
  },
);

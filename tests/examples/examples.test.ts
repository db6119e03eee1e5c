/**
 * Every program in examples/ runs, as a user would start it, in the runtime running the suite,
 * offline: the network ones against a served Entra ID emulator on 127.0.0.1, the brokered
 * ones inside the broker session (scripts/with-broker.sh).
 */

import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  createEntraEmulator,
  type EmulatorServer,
  TEST_CLIENT_ID,
} from "../../src/testing/entra_emulator/mod.ts";
import { brokerSkip } from "../support/broker.ts";
import { repoPath } from "../support/paths.ts";
import { exampleCommand, type ExampleRun, runExample } from "./run_example.ts";

const USER = "alice@contoso.onmicrosoft.com";

function explain(run: ExampleRun): string {
  return `exit ${run.code} ${
    run.signal ?? ""
  }\n--- stdout\n${run.stdout}\n--- stderr\n${run.stderr}`;
}

describe("examples against the Entra ID emulator", { timeout: 180_000 }, () => {
  const emulator = createEntraEmulator();
  let server: EmulatorServer;
  let dir: string;
  before(async () => {
    server = await emulator.listen();
    dir = mkdtempSync(join(tmpdir(), "entra-auth-examples-"));
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  // Plays the user: approves the code the example prints.
  function approver(): (stdout: string) => void {
    const approved = new Set<string>();
    return (stdout) => {
      for (const [, code] of stdout.matchAll(/enter the code (\S+) to authenticate/g)) {
        if (code && !approved.has(code)) {
          approved.add(code);
          emulator.approveDeviceCode(code, USER);
        }
      }
    };
  }

  function env(extra: Record<string, string> = {}): Record<string, string> {
    return {
      CLIENT_ID: TEST_CLIENT_ID,
      AUTHORITY: `${server.url}/common`,
      KNOWN_AUTHORITY_HOSTS: "127.0.0.1", // the emulator's host, on any port
      ...extra,
    };
  }

  it(
    "device_code_server signs in with the code the user approves",
    { timeout: 90_000 },
    async () => {
      const run = await runExample(exampleCommand("device_code_server"), {
        env: env(),
        onStdout: approver(),
      });
      assert.equal(run.code, 0, explain(run));
      assert.match(run.stdout, /enter the code/);
      assert.match(run.stdout, new RegExp(`signed in as ${USER}`));
      assert.doesNotMatch(run.stdout, /eyJ/, "the example must not print a token");
    },
  );

  it("persistent_cache signs in once, then serves the next process from the file", {
    timeout: 120_000,
  }, async () => {
    const cache = { CACHE_PATH: join(dir, "cache.json"), CACHE_ENCRYPTION: "plaintext" };
    const first = await runExample(exampleCommand("persistent_cache"), {
      env: env(cache),
      onStdout: approver(),
    });
    assert.equal(first.code, 0, explain(first));
    assert.match(first.stdout, /from cache: false/);
    const second = await runExample(exampleCommand("persistent_cache"), { env: env(cache) });
    assert.equal(second.code, 0, explain(second));
    assert.doesNotMatch(second.stdout, /enter the code/);
    assert.match(second.stdout, /from cache: true/);
  });

  it("persistent_cache encrypts through the OS keyring (inside the broker session)", {
    timeout: 120_000,
    skip: brokerSkip,
  }, async () => {
    const path = join(dir, "keyring-cache.json");
    const first = await runExample(exampleCommand("persistent_cache"), {
      env: env({ CACHE_PATH: path }), // CACHE_ENCRYPTION unset: the keyring
      onStdout: approver(),
    });
    assert.equal(first.code, 0, explain(first));
    assert.doesNotMatch(readFileSync(path, "utf8"), /"AccessToken"/, "the file is not encrypted");
    const second = await runExample(exampleCommand("persistent_cache"), {
      env: env({ CACHE_PATH: path }),
    });
    assert.equal(second.code, 0, explain(second));
    assert.match(second.stdout, /from cache: true/);
  });

  it("testing_with_entra_emulator passes under the runtime's test runner", {
    timeout: 120_000,
  }, async () => {
    const run = await runExample(exampleCommand("testing_with_entra_emulator.test", true), {
      timeoutMs: 110_000,
    });
    assert.equal(run.code, 0, explain(run));
  });
});

describe("brokered examples", { skip: brokerSkip, timeout: 180_000 }, () => {
  it("brokered_cli signs in through the broker", { timeout: 90_000 }, async () => {
    const run = await runExample(exampleCommand("brokered_cli"), { env: { DISPLAY: "" } });
    assert.equal(run.code, 0, explain(run));
    assert.match(run.stdout, /signed in as \S+@\S+ \(broker: true\)/);
  });

  it("testing_with_broker_emulator passes under the runtime's test runner", {
    timeout: 120_000,
  }, async () => {
    // A broker session of its own: the example puts other users into the emulator, and
    // MSALRuntime remembers accounts it has seen for the rest of a session.
    const run = await runExample([
      repoPath("scripts", "with-broker.sh"),
      "--",
      ...exampleCommand("testing_with_broker_emulator.test", true),
    ], { timeoutMs: 110_000 });
    assert.equal(run.code, 0, explain(run));
    assert.doesNotMatch(run.stdout + run.stderr, /skip(ped)? .*entra-auth-with-broker/i);
  });
});

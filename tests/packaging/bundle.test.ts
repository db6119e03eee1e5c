/**
 * Bundlers and single-file binaries: an app using entra-auth, bundled by esbuild for Node,
 * compiled by `bun build --compile` and by `deno compile`, runs and signs in (device code)
 * against a served Entra ID emulator. Before `bun:ffi` was loaded at run time, the esbuild
 * bundle failed to build (unresolved `bun:ffi`) or, with it external, to load in Node
 * (ERR_UNSUPPORTED_ESM_URL_SCHEME).
 */

import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { after, before, describe, it } from "node:test";
import { currentRuntime } from "../../ffi/runtime.ts";
import {
  createEntraEmulator,
  type EmulatorServer,
  TEST_CLIENT_ID,
} from "../../src/testing/entra_emulator/mod.ts";
import { type ExampleRun, runExample } from "../examples/run_example.ts";
import { repoPath } from "../support/paths.ts";

const USER = "alice@contoso.onmicrosoft.com";
const EXAMPLE = repoPath("examples", "device_code_server.ts");

function explain(run: ExampleRun): string {
  return `exit ${run.code} ${
    run.signal ?? ""
  }\n--- stdout\n${run.stdout}\n--- stderr\n${run.stderr}`;
}

// `deno compile` needs the `denort` runtime binary, which it downloads unless DENORT_BIN names
// a local copy; with no network here, the check runs only when DENORT_BIN is set.
const denoCompileSkip = currentRuntime() !== "deno"
  ? "runs under Deno"
  : process.env.DENORT_BIN && existsSync(process.env.DENORT_BIN)
  ? false
  : "deno compile needs denort: set DENORT_BIN to a local denort binary (it cannot be downloaded offline)";

describe("bundled and compiled apps", { timeout: 240_000 }, () => {
  const emulator = createEntraEmulator();
  let server: EmulatorServer;
  let dir: string;
  before(async () => {
    server = await emulator.listen();
    dir = mkdtempSync(join(tmpdir(), "entra-auth-bundle-"));
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function build(argv: string[]): Promise<void> {
    const run = await runExample(argv, { timeoutMs: 120_000 });
    assert.equal(run.code, 0, `build failed: ${argv.join(" ")}\n${explain(run)}`);
  }

  async function signIn(argv: string[]): Promise<void> {
    const approved = new Set<string>();
    const run = await runExample(argv, {
      env: {
        CLIENT_ID: TEST_CLIENT_ID,
        AUTHORITY: `${server.url}/common`,
        KNOWN_AUTHORITY_HOSTS: "127.0.0.1",
      },
      onStdout: (stdout) => {
        for (const [, code] of stdout.matchAll(/enter the code (\S+) to authenticate/g)) {
          if (code && !approved.has(code)) {
            approved.add(code);
            emulator.approveDeviceCode(code, USER);
          }
        }
      },
    });
    assert.equal(run.code, 0, explain(run));
    assert.match(run.stdout, new RegExp(`signed in as ${USER}`));
  }

  it("esbuild bundles an app for Node, and the bundle signs in", { timeout: 120_000 }, async () => {
    const out = join(dir, "app.mjs");
    await build([
      repoPath("node_modules", ".bin", "esbuild"),
      EXAMPLE,
      "--bundle",
      "--platform=node",
      "--format=esm",
      "--log-level=warning",
      `--outfile=${out}`,
    ]);
    await signIn(["node", out]);
  });

  it("bun build --compile makes a binary that signs in", {
    timeout: 120_000,
    skip: currentRuntime() === "bun" ? false : "runs under Bun",
  }, async () => {
    const out = join(dir, "app-bun");
    await build([process.execPath, "build", "--compile", EXAMPLE, "--outfile", out]);
    await signIn([out]);
  });

  it("deno compile makes a binary that signs in", {
    timeout: 120_000,
    skip: denoCompileSkip,
  }, async () => {
    const out = join(dir, "app-deno");
    await build([process.execPath, "compile", "-A", "--quiet", "--output", out, EXAMPLE]);
    await signIn([out]);
  });
});

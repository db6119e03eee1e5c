/**
 * The command line without the broker, against the Entra ID emulator served on 127.0.0.1:
 * `login --device-code` completed in real Chromium, then `token` from what it cached; Ctrl-C
 * while waiting ends with exit code 130.
 */

import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import process from "node:process";
import { after, before, describe, it } from "node:test";
import type { EmulatorServer } from "../../src/testing/entra_emulator/mod.ts";
import { cliCommand, cliHome, collect, runCli } from "../support/cli.ts";
import { chromiumMissing, launchChromium, type TestBrowser } from "../support/network_browser.ts";
import {
  ALICE,
  ALICE_PASSWORD,
  makeNetworkEmulator,
  TEST_CLIENT_ID,
  TEST_TENANT_ID,
} from "../support/network_emulator.ts";

function startCli(args: string[], env: Record<string, string>): ChildProcess {
  const [command, ...prefix] = cliCommand();
  const childEnv: Record<string, string | undefined> = { ...process.env, ...env };
  delete childEnv.RUST_BACKTRACE;
  return spawn(command, [...prefix, ...args], {
    env: childEnv as Record<string, string>,
    stdio: ["pipe", "pipe", "pipe"],
  });
}

/** Resolves with the device code message's URL and code once the CLI printed it. */
function deviceCodeOf(child: ChildProcess): Promise<{ url: string; code: string; }> {
  return new Promise((resolve, reject) => {
    let text = "";
    const timer = setTimeout(() => reject(new Error(`no device code message: ${text}`)), 60_000);
    child.stderr!.on("data", (d) => {
      text += d;
      const m = /(https?:\/\/\S+) and enter the code (\S+)/.exec(text);
      if (m) {
        clearTimeout(timer);
        resolve({ url: m[1], code: m[2] });
      }
    });
  });
}

describe("entra-auth without the broker, against the Entra emulator", { timeout: 240_000 }, () => {
  let server: EmulatorServer;
  let args: string[];

  before(async () => {
    const emulator = makeNetworkEmulator({ lifetimes: { deviceCodeInterval: 1 } });
    server = await emulator.listen();
    args = [
      "--client-id",
      TEST_CLIENT_ID,
      "--authority",
      `${server.url}/${TEST_TENANT_ID}`,
      "--known-authority-host",
      new URL(server.url).host,
      "--broker",
      "off",
      "--cache",
      "plaintext",
    ];
  });
  after(async () => {
    await server?.close();
  });

  it("signs in with a device code entered in Chromium, then prints tokens from the cache", {
    skip: chromiumMissing(),
    timeout: 240_000,
  }, async () => {
    const env = cliHome();
    const browser: TestBrowser = await launchChromium();
    try {
      const child = startCli(["login", "--device-code", "--scope", "User.Read", ...args], env);
      const done = collect(child, "", 180_000);
      const { url, code } = await deviceCodeOf(child);
      const page = await browser.newPage();
      await page.goto(url);
      await page.fill("#device input[name=otc]", code);
      await page.click("#device button[type=submit]");
      await page.fill("#device input[name=username]", ALICE);
      await page.fill("#device input[name=password]", ALICE_PASSWORD);
      await page.click("#device button[value=approve]");
      const login = await done;
      assert.equal(login.code, 0, login.stderr);
      assert.equal(login.stdout, "", "login prints nothing on stdout");
      assert.match(login.stderr, new RegExp(`Signed in as ${ALICE}`));
      const token = await runCli(["token", "--scope", "User.Read", "--no-interactive", ...args], {
        env,
      });
      assert.equal(token.code, 0, token.stderr);
      assert.match(token.stdout, /^[\w-]+\.[\w-]+\.[\w-]+\n$/);
      const other = await runCli(["token", "--scope", "Mail.Read", "--no-interactive", ...args], {
        env,
      });
      assert.equal(other.code, 0, `a refresh token redeems a new scope: ${other.stderr}`);
    } finally {
      await browser.close();
    }
  });

  it(
    "ends with exit code 130 on Ctrl-C while waiting for the user",
    { timeout: 120_000 },
    async () => {
      const child = startCli(
        ["login", "--device-code", "--scope", "User.Read", ...args],
        cliHome(),
      );
      const done = collect(child, "", 60_000);
      await deviceCodeOf(child);
      const interrupted = Date.now();
      // process.kill, not child.kill: Deno's child_process reports a child it signalled as
      // killed by the signal even when the child handled it and exited with its own code.
      process.kill(child.pid!, "SIGINT");
      const run = await done;
      assert.equal(run.code, 130, `exit ${run.code} ${run.signal}: ${run.stderr}`);
      assert.equal(run.stdout, "");
      assert.ok(Date.now() - interrupted < 15_000, "it stopped promptly");
    },
  );

  it(
    "says how to proceed when no keyring is reachable for the default cache",
    { timeout: 120_000 },
    async () => {
      const keyringArgs = args.filter((a) => a !== "plaintext" && a !== "--cache");
      // Checked before the user is asked to sign in: a sign-in that cannot be kept is lost.
      const run = await runCli([
        "login",
        "--device-code",
        "--scope",
        "User.Read",
        ...keyringArgs,
      ], {
        env: { ...cliHome(), DBUS_SESSION_BUS_ADDRESS: "unix:path=/nonexistent/bus" },
      });
      assert.equal(run.code, 5, run.stderr);
      assert.match(run.stderr, /--cache plaintext/);
      assert.doesNotMatch(run.stderr, /enter the code/, "no device code was shown");
      assert.equal(run.stderr.trim().split("\n").length, 1, run.stderr);
    },
  );
});

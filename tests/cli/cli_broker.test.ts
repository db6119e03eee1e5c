/**
 * The command line as users run it, through the real libmsalruntime.so and the broker
 * emulator: tokens for scripts, kubectl (the real one) and git (the real one), the cache
 * shared between processes, stdout carrying only the result, and `doctor` in broken set-ups.
 */

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { after, before, beforeEach, describe, it } from "node:test";
import {
  brokerSkip,
  clearFaults,
  clearRequests,
  CLIENT_ID,
  requests,
  setSignedIn,
  SIGNED_IN_USER,
} from "../support/broker.ts";
import {
  type BearerServer,
  cliCommand,
  cliHome,
  collect,
  runCli,
  startBearerServer,
} from "../support/cli.ts";
import { runFixture } from "../support/fixtures.ts";
import { msalRuntimeMissingDependency } from "../support/native.ts";

const JWT = /^[\w-]+\.[\w-]+\.[\w-]+$/;
const otherClient = () => crypto.randomUUID();
const SERVER_ID = "6dae42f8-4368-4678-94ff-3960e28e3630";

async function tokenRequests(): Promise<number> {
  const log = await requests();
  return log.filter((r) => /^acquireToken/.test(r.method)).length;
}

describe("entra-auth through the broker", { skip: brokerSkip }, () => {
  let env: Record<string, string>;
  const base = ["--client-id", CLIENT_ID];

  beforeEach(async () => {
    env = cliHome();
    await clearFaults();
    await setSignedIn(SIGNED_IN_USER, true);
    await clearRequests();
  });

  it("prints exactly a token, then serves the next process from the shared cache", {
    timeout: 120_000,
  }, async () => {
    const first = await runCli(["token", ...base, "--scope", "User.Read", "--no-interactive"], {
      env,
    });
    assert.equal(first.code, 0, first.stderr);
    assert.match(
      first.stdout,
      /^[\w-]+\.[\w-]+\.[\w-]+\n$/,
      "stdout is the token and nothing else",
    );
    assert.equal(await tokenRequests(), 1);
    await clearRequests();
    const second = await runCli(["token", ...base, "--scope", "User.Read", "--no-interactive"], {
      env,
    });
    assert.equal(second.code, 0, second.stderr);
    assert.equal(second.stdout, first.stdout, "the cached token");
    assert.equal((await requests()).length, 0, "the broker was not asked at all");
    // Served from the cache, it loads neither the broker library (a missing one would fail
    // with --broker on) nor anything that reaches the network (there is none here): the fast
    // path reads the keyring-encrypted cache.
    const third = await runCli(
      ["token", ...base, "--scope", "User.Read", "--no-interactive", "--broker", "on"],
      {
        env: {
          ...env,
          ENTRA_AUTH_MSALRUNTIME_PATH: "/nonexistent/libmsalruntime.so",
          ENTRA_AUTH_LOG: "startup",
        },
      },
    );
    assert.equal(third.code, 0, third.stderr);
    assert.equal(third.stdout, first.stdout);
    assert.equal(third.stderr, "entra-auth: startup: served from the cache\n");
  });

  it("signs in through the broker's window with login, then serves token from the cache", {
    timeout: 120_000,
  }, async () => {
    const display = 90 + Math.floor(Math.random() * 100);
    const xvfb = spawn("Xvfb", [`:${display}`, "-nolisten", "tcp"], { stdio: "ignore" });
    try {
      for (let i = 0; i < 100 && !existsSync(`/tmp/.X11-unix/X${display}`); i++) {
        await new Promise((r) => setTimeout(r, 50));
      }
      const login = await runCli(["login", ...base, "--scope", "User.Read"], {
        env: { ...env, DISPLAY: `:${display}` },
      });
      assert.equal(login.code, 0, login.stderr);
      assert.equal(login.stdout, "");
      assert.match(
        login.stderr,
        new RegExp(`Signed in as ${SIGNED_IN_USER} \\(through the broker\\)`),
      );
      assert.ok((await requests()).some((r) => r.method === "acquireTokenInteractively"));
      await clearRequests();
      const token = await runCli(["token", ...base, "--scope", "User.Read", "--no-interactive"], {
        env,
      });
      assert.equal(token.code, 0, token.stderr);
      assert.match(token.stdout, /^[\w-]+\.[\w-]+\.[\w-]+\n$/);
      assert.equal((await requests()).length, 0, "served from the cache");
    } finally {
      xvfb.kill("SIGKILL");
    }
  });

  it(
    "with --broker on, fails with exit code 4 and the install command when the broker is missing",
    {
      timeout: 120_000,
    },
    async () => {
      const run = await runCli(
        ["token", ...base, "--scope", "User.Read", "--broker", "on", "--cache", "none"],
        { env: { ...env, ENTRA_AUTH_MSALRUNTIME_PATH: "/nonexistent/libmsalruntime.so" } },
      );
      assert.equal(run.code, 4, run.stderr);
      assert.equal(run.stdout, "");
      assert.match(run.stderr, /@azure\/msal-node-runtime/);
      assert.equal(run.stderr.trim().split("\n").length, 1, run.stderr);
    },
  );

  it("prints az's JSON and an Authorization header", { timeout: 120_000 }, async () => {
    const json = await runCli(
      ["token", ...base, "--resource", `api://${SERVER_ID}`, "-o", "json"],
      { env },
    );
    assert.equal(json.code, 0, json.stderr);
    const parsed = JSON.parse(json.stdout);
    assert.match(parsed.accessToken, JWT);
    assert.equal(typeof parsed.expires_on, "number");
    assert.ok(parsed.expires_on * 1000 > Date.now());
    assert.equal(parsed.tokenType, "Bearer");
    assert.equal(parsed.tenant, "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee");
    const header = await runCli([
      "token",
      ...base,
      "--resource",
      `api://${SERVER_ID}`,
      "-o",
      "header",
    ], { env });
    assert.equal(header.stdout, `Authorization: Bearer ${parsed.accessToken}\n`);
  });

  it("keeps stdout to the result while MSALRuntime logs", { timeout: 120_000 }, async () => {
    const run = await runCli(["token", ...base, "--scope", "User.Read"], {
      env: { ...env, ENTRA_AUTH_LOG: "broker" },
    });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^[\w-]+\.[\w-]+\.[\w-]+\n$/);
    assert.match(run.stderr, /\[broker\]/, "MSALRuntime's lines went to stderr");
  });

  it("moves native writes to descriptor 1 onto stderr", { timeout: 60_000 }, async () => {
    const run = await runFixture("stdout_guard", [], { timeoutMs: 30_000 });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, "native before\nRESULT\n");
    assert.match(run.stderr, /native after\n/);
    assert.match(run.stderr, /console\.log after/);
  });

  it("fails with exit code 3 when sign-in is needed and prompting is not allowed", {
    timeout: 120_000,
  }, async () => {
    await setSignedIn(SIGNED_IN_USER, false);
    // A client MSALRuntime has no token for: the broker itself must be asked.
    const run = await runCli([
      "token",
      "--client-id",
      otherClient(),
      "--scope",
      "User.Read",
      "--no-interactive",
    ], {
      env,
    });
    assert.equal(run.code, 3, run.stderr);
    assert.equal(run.stdout, "");
    assert.match(run.stderr, /entra-auth login/);
  });

  it("lists accounts as JSON and signs them out of the cache", { timeout: 120_000 }, async () => {
    // MSALRuntime records a sign-out per client id for the whole broker session: a client of
    // this test's own keeps the other tests' client signed in.
    const base = ["--client-id", otherClient()];
    const token = await runCli(["token", ...base, "--scope", "User.Read"], { env });
    assert.equal(token.code, 0, token.stderr);
    const list = await runCli(["accounts", ...base, "--json"], { env });
    assert.equal(list.code, 0, list.stderr);
    const accounts = JSON.parse(list.stdout);
    assert.ok(accounts.some((a: { username: string; }) => a.username === SIGNED_IN_USER));
    const out = await runCli(["logout", ...base, "--account", SIGNED_IN_USER], { env });
    assert.equal(out.code, 0, out.stderr);
    assert.equal(out.stdout, "");
    await clearRequests();
    const again = await runCli(["token", ...base, "--scope", "User.Read"], { env });
    assert.equal(again.code, 0, again.stderr);
    assert.ok((await requests()).length > 0, "after logout the token is not served from the cache");
  });

  describe("doctor", () => {
    it(
      "passes in a working set-up and names the broker's version",
      { timeout: 120_000 },
      async () => {
        const run = await runCli(["doctor", ...base, "--json"], { env });
        assert.equal(run.code, 0, run.stderr);
        const report = JSON.parse(run.stdout);
        assert.equal(report.ok, true);
        const byId = Object.fromEntries(report.checks.map((c: { id: string; }) => [c.id, c]));
        assert.match(byId["broker-service"].detail, /version 2\.0\.1-emulator/);
        assert.equal(byId["msalruntime-start"].status, "ok");
      },
    );

    const broken: [string, Record<string, string | undefined>, string, RegExp][] = [
      [
        "no library",
        { ENTRA_AUTH_MSALRUNTIME_PATH: "/nonexistent/libmsalruntime.so" },
        "msalruntime-start",
        /not found/i,
      ],
      ["no bus", { DBUS_SESSION_BUS_ADDRESS: undefined }, "dbus", /desktop session/],
      [
        "a bus nobody listens on",
        { DBUS_SESSION_BUS_ADDRESS: "unix:path=/nonexistent/bus" },
        "dbus",
        /DBUS_SESSION_BUS_ADDRESS/,
      ],
      [
        "no display",
        { DISPLAY: undefined, WAYLAND_DISPLAY: undefined },
        "display",
        /desktop session|ssh -X/,
      ],
      [
        "no keyring",
        { DBUS_SESSION_BUS_ADDRESS: "unix:path=/nonexistent/bus" },
        "keyring",
        /--cache plaintext/,
      ],
    ];
    for (const [name, overrides, id, fix] of broken) {
      it(`names the cause and the fix: ${name}`, { timeout: 120_000 }, async () => {
        const run = await runCli(["doctor", ...base, "--broker", "on", "--json"], {
          env: { ...env, ...overrides },
        });
        const report = JSON.parse(run.stdout);
        const check = report.checks.find((c: { id: string; }) => c.id === id);
        assert.ok(check, `no ${id} check in ${run.stdout}`);
        assert.notEqual(check.status, "ok", JSON.stringify(check));
        assert.match(`${check.detail} ${check.fix}`, fix);
      });
    }

    it(
      "names the cause and the fix: a session bus with no broker on it",
      { timeout: 120_000 },
      async () => {
        const run = await runCli(["doctor", ...base, "--broker", "on", "--json"], {
          env,
          // The bus activates gnome-keyring, which writes its variables to the stdout it inherits
          // from dbus-run-session (not ours): the report is the JSON after them.
          wrapper: ["dbus-run-session", "--"],
        });
        assert.equal(run.code, 9, run.stderr);
        const check = JSON.parse(run.stdout.slice(run.stdout.indexOf("{\n"))).checks.find((
          c: { id: string; },
        ) => c.id === "broker-service");
        assert.equal(check.status, "fail", JSON.stringify(check));
        assert.match(check.fix, /microsoft-identity-broker/);
      },
    );

    it("names the missing system library and its package", { timeout: 120_000 }, async () => {
      const run = await runCli(["doctor", ...base, "--broker", "on", "--json"], {
        env: { ...env, ENTRA_AUTH_MSALRUNTIME_PATH: msalRuntimeMissingDependency() },
      });
      assert.equal(run.code, 9, "a blocker with --broker on");
      const check = JSON.parse(run.stdout).checks.find((c: { id: string; }) =>
        c.id === "msalruntime-start"
      );
      assert.match(check.fix, /libsoup-2\.4\.so\.1.*apt-get install libsoup2\.4-1/);
    });
  });

  describe("kubectl", () => {
    let api: BearerServer;
    before(async () => {
      api = await startBearerServer("https", SERVER_ID);
    });
    after(() => api?.close());

    function kubeconfig(
      apiVersion: string,
      home: Record<string, string>,
      server: BearerServer = api,
      serverId = SERVER_ID,
    ): string {
      const [command, ...prefix] = cliCommand();
      const exec = {
        apiVersion,
        command,
        args: [
          ...prefix,
          "kube",
          "--server-id",
          serverId,
          "--client-id",
          CLIENT_ID,
          "--tenant-id",
          "organizations",
        ],
        env: Object.entries(home).map(([name, value]) => ({ name, value })),
        ...(apiVersion.endsWith("/v1") ? { interactiveMode: "Never" } : {}),
      };
      const config = {
        apiVersion: "v1",
        kind: "Config",
        clusters: [{
          name: "c",
          cluster: { server: server.url, "certificate-authority": server.certFile },
        }],
        users: [{ name: "u", user: { exec } }],
        contexts: [{ name: "x", context: { cluster: "c", user: "u" } }],
        "current-context": "x",
      };
      const file = join(
        home.ENTRA_AUTH_HOME_FOR_TESTS,
        `kubeconfig-${apiVersion.replace(/\W/g, "_")}.json`,
      );
      writeFileSync(file, JSON.stringify(config));
      return file;
    }

    function kubectl(config: string) {
      const child = spawn("kubectl", ["--kubeconfig", config, "get", "--raw", "/api"], {
        stdio: ["pipe", "pipe", "pipe"],
        env: { ...process.env, KUBECACHEDIR: join(env.ENTRA_AUTH_HOME_FOR_TESTS, "kubecache") },
      });
      return collect(child, "", 120_000);
    }

    for (
      const apiVersion of [
        "client.authentication.k8s.io/v1",
        "client.authentication.k8s.io/v1beta1",
      ]
    ) {
      it(`authenticates kubectl get --raw /api (${apiVersion})`, { timeout: 180_000 }, async () => {
        const run = await kubectl(kubeconfig(apiVersion, env));
        assert.equal(run.code, 0, run.stderr);
        assert.equal(JSON.parse(run.stdout).kind, "APIVersions");
        assert.ok(api.requests.some((r) => r.authorized), "the API server accepted our token");
      });
    }

    it(
      "converts a kubelogin user of a kubeconfig, which kubectl then uses",
      { timeout: 180_000 },
      async () => {
        const file = join(env.ENTRA_AUTH_HOME_FOR_TESTS, "kubeconfig-kubelogin.json");
        writeFileSync(
          file,
          JSON.stringify({
            apiVersion: "v1",
            kind: "Config",
            clusters: [{
              name: "c",
              cluster: { server: api.url, "certificate-authority": api.certFile },
            }],
            users: [{
              name: "aks",
              user: {
                exec: {
                  apiVersion: "client.authentication.k8s.io/v1beta1",
                  command: "kubelogin",
                  args: [
                    "get-token",
                    "--server-id",
                    SERVER_ID,
                    "--client-id",
                    CLIENT_ID,
                    "--tenant-id",
                    "organizations",
                  ],
                },
              },
            }],
            contexts: [{ name: "x", context: { cluster: "c", user: "aks" } }],
            "current-context": "x",
          }),
        );
        const [command, ...prefix] = cliCommand();
        const convert = await runCli([
          "kube",
          "convert-kubeconfig",
          "--kubeconfig",
          file,
          "--exec-command",
          command,
          ...prefix.map((a) => `--exec-arg=${a}`),
        ], { env });
        assert.equal(convert.code, 0, convert.stderr);
        assert.match(convert.stderr, /user aks now signs in with entra-auth/);
        // kubectl hands its own environment to the plug-in: the test's private cache folders.
        const run = await collect(
          spawn("kubectl", ["--kubeconfig", file, "get", "--raw", "/api"], {
            stdio: ["pipe", "pipe", "pipe"],
            env: { ...process.env, ...env },
          }),
          "",
          120_000,
        );
        assert.equal(run.code, 0, run.stderr);
        assert.equal(JSON.parse(run.stdout).kind, "APIVersions");
      },
    );

    it("signs in once for 10 kubectl processes started at once", { timeout: 300_000 }, async () => {
      // A server id nobody asked for yet: MSALRuntime has no token for it and must ask the broker.
      const serverId = crypto.randomUUID();
      const fresh = await startBearerServer("https", serverId);
      try {
        const config = kubeconfig("client.authentication.k8s.io/v1", env, fresh, serverId);
        const runs = await Promise.all(Array.from({ length: 10 }, () => kubectl(config)));
        for (const run of runs) assert.equal(run.code, 0, run.stderr);
        assert.equal(await tokenRequests(), 1, "one token request reached the broker");
        assert.ok(fresh.requests.filter((r) => r.authorized).length >= 10);
      } finally {
        fresh.close();
      }
    });
  });

  describe("git", () => {
    let host: BearerServer;
    before(async () => {
      host = await startBearerServer("http", "499b84ac-1321-427f-aa17-267ca6975798", "basic");
    });
    after(() => host?.close());

    function helper(): string {
      const quoted = [
        ...cliCommand(),
        "git",
        "--client-id",
        CLIENT_ID,
        "--host",
        new URL(host.url).host,
      ]
        .map((a) => `'${a}'`).join(" ");
      return `!${quoted}`;
    }

    it("answers git credential fill with an Azure DevOps token, and nothing for other hosts", {
      timeout: 120_000,
    }, async () => {
      const fill = (text: string) =>
        collect(
          spawn("git", [
            "-c",
            `credential.helper=${helper()}`,
            "-c",
            "credential.interactive=false",
            "credential",
            "fill",
          ], {
            stdio: ["pipe", "pipe", "pipe"],
            env: { ...process.env, ...env, GIT_TERMINAL_PROMPT: "0" },
          }),
          text,
          120_000,
        );
      const ado = await fill("protocol=https\nhost=dev.azure.com\npath=org/p/_git/r\n\n");
      assert.equal(ado.code, 0, ado.stderr);
      const answer = Object.fromEntries(
        ado.stdout.trim().split("\n").map((l) => l.split(/=(.*)/s).slice(0, 2)),
      );
      assert.match(answer.password, JWT);
      assert.equal(answer.host, "dev.azure.com");
      // git before 2.41 drops password_expiry_utc: ask the helper directly for it.
      const direct = await runCli(["git", "--client-id", CLIENT_ID, "get"], {
        env,
        stdin: "protocol=https\nhost=dev.azure.com\n\n",
      });
      assert.equal(direct.code, 0, direct.stderr);
      const expiry = /^password_expiry_utc=(\d+)$/m.exec(direct.stdout)?.[1];
      assert.ok(Number(expiry) * 1000 > Date.now(), "an expiry in the future");
      const other = await fill("protocol=https\nhost=github.example\n\n");
      assert.notEqual(other.code, 0, "git found no credential for a host we do not serve");
    });

    it(
      "authenticates git ls-remote against a host that demands the token",
      { timeout: 120_000 },
      async () => {
        const run = await collect(
          spawn(
            "git",
            ["-c", `credential.helper=${helper()}`, "ls-remote", `${host.url}/repo.git`],
            {
              stdio: ["pipe", "pipe", "pipe"],
              env: { ...process.env, ...env, GIT_TERMINAL_PROMPT: "0", GIT_ASKPASS: "/bin/false" },
            },
          ),
          "",
          120_000,
        );
        assert.equal(run.code, 0, run.stderr);
        assert.match(run.stdout, /refs\/heads\/main/);
        assert.ok(host.requests.some((r) => r.authorized));
      },
    );
  });
});

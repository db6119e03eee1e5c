/** The command line's parts that need no broker: settings, kubectl and git protocols, help. */

import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { isAzureDevOpsHost, parseCredentialRequest } from "../../src/cli/commands/git.ts";
import { readExecInfo } from "../../src/cli/commands/kube.ts";
import { resolveSettings } from "../../src/cli/config.ts";
import { detectEnvironment } from "../../src/cli/environment.ts";
import { CliError, describeFailure, EXIT } from "../../src/cli/exit_codes.ts";
import { pickAccount } from "../../src/cli/session.ts";
import { azShape, scopesOf } from "../../src/cli/token_request.ts";
import { EntraAuthError, InteractionRequiredError } from "../../src/errors.ts";
import type { AccountInfo, AuthenticationResult } from "../../src/result.ts";
import { cliHome, runCli } from "../support/cli.ts";

const account = (username: string, home: string): AccountInfo => ({
  homeAccountId: home,
  environment: "login.microsoftonline.com",
  tenantId: "t",
  username,
  localAccountId: home.split(".")[0],
});

describe("command line settings", () => {
  it("takes flags over environment over the profile, and never a default client id", () => {
    const home = cliHome();
    const file = join(home.XDG_CONFIG_HOME, "entra-auth", "config.json");
    mkdirSync(join(home.XDG_CONFIG_HOME, "entra-auth"), { recursive: true });
    writeFileSync(
      file,
      JSON.stringify({
        default: "work",
        profiles: {
          work: { clientId: "from-profile", tenant: "contoso.com", cache: "plaintext" },
          other: { clientId: "other-profile", broker: "off" },
        },
      }),
    );
    const env = { ...home, HOME: home.ENTRA_AUTH_HOME_FOR_TESTS };
    const fromProfile = resolveSettings({}, env);
    assert.equal(fromProfile.clientId, "from-profile");
    assert.equal(fromProfile.authority, "https://login.microsoftonline.com/contoso.com");
    assert.equal(fromProfile.cache, "plaintext");
    assert.equal(fromProfile.broker, "auto");
    const fromEnv = resolveSettings({}, {
      ...env,
      ENTRA_AUTH_CLIENT_ID: "from-env",
      ENTRA_AUTH_TENANT_ID: "fabrikam.com",
    });
    assert.equal(fromEnv.clientId, "from-env");
    assert.equal(fromEnv.authority, "https://login.microsoftonline.com/fabrikam.com");
    const fromFlags = resolveSettings(
      { clientId: "from-flag", authority: "https://login.microsoftonline.com/x", profile: "other" },
      { ...env, ENTRA_AUTH_CLIENT_ID: "from-env" },
    );
    assert.equal(fromFlags.clientId, "from-flag");
    assert.equal(fromFlags.authority, "https://login.microsoftonline.com/x");
    assert.equal(fromFlags.broker, "off");
    assert.throws(
      () => resolveSettings({ profile: "missing" }, env),
      (e) =>
        e instanceof CliError && e.exitCode === EXIT.config
        && /no profile "missing"/.test(e.message),
    );
    const bare = cliHome();
    assert.throws(
      () => resolveSettings({}, bare),
      (e) => e instanceof CliError && e.exitCode === EXIT.usage && /--client-id/.test(e.message),
    );
    assert.throws(
      () => resolveSettings({ clientId: "x", broker: "sometimes" }, bare),
      (e) => e instanceof CliError && e.exitCode === EXIT.usage && /--broker/.test(e.message),
    );
  });

  it("reports a malformed config file instead of ignoring it", () => {
    const home = cliHome();
    mkdirSync(join(home.XDG_CONFIG_HOME, "entra-auth"), { recursive: true });
    writeFileSync(join(home.XDG_CONFIG_HOME, "entra-auth", "config.json"), "{ not json");
    assert.throws(
      () => resolveSettings({ clientId: "x" }, home),
      (e) =>
        e instanceof CliError && e.exitCode === EXIT.config && /not valid JSON/.test(e.message),
    );
  });

  it("maps every failure to a documented exit code and one line", () => {
    assert.equal(describeFailure(new InteractionRequiredError("x")).code, EXIT.interactionRequired);
    assert.equal(describeFailure(new EntraAuthError("aborted", "x")).code, EXIT.interrupted);
    assert.equal(describeFailure(new EntraAuthError("cache_error", "a\nb")).message, "a b");
    assert.equal(describeFailure(new EntraAuthError("network_error", "x")).code, EXIT.network);
    assert.equal(describeFailure(new TypeError("boom")).code, EXIT.failure);
  });
});

describe("command line protocols", () => {
  it("--resource means the resource as given, then /.default (as az: ARM's keeps its slash)", () => {
    assert.deepEqual(scopesOf({ resource: "https://management.core.windows.net/" }), [
      "https://management.core.windows.net//.default",
    ]);
    assert.deepEqual(scopesOf({ resource: "https://vault.azure.net", scope: ["openid"] }), [
      "openid",
      "https://vault.azure.net/.default",
    ]);
  });

  it("prints JSON with az account get-access-token's field names", () => {
    const result = {
      accessToken: "at",
      expiresOn: new Date(1_800_000_000_000),
      tenantId: "tid",
      tokenType: "Bearer",
    } as AuthenticationResult;
    const shape = azShape(result);
    assert.deepEqual(Object.keys(shape).sort(), [
      "accessToken",
      "expiresOn",
      "expires_on",
      "tenant",
      "tokenType",
    ]);
    assert.equal(shape.expires_on, 1_800_000_000);
    assert.match(String(shape.expiresOn), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$/);
  });

  it("reads KUBERNETES_EXEC_INFO: the version kubectl asks for, and whether it may prompt", () => {
    const v1 = readExecInfo(
      JSON.stringify({
        kind: "ExecCredential",
        apiVersion: "client.authentication.k8s.io/v1",
        spec: { interactive: false },
      }),
      true,
    );
    assert.deepEqual(v1, { apiVersion: "client.authentication.k8s.io/v1", interactive: false });
    assert.deepEqual(readExecInfo(undefined, false), {
      apiVersion: "client.authentication.k8s.io/v1beta1",
      interactive: false,
    });
    assert.throws(
      () =>
        readExecInfo(JSON.stringify({ apiVersion: "client.authentication.k8s.io/v1alpha1" }), true),
      (e) => e instanceof CliError && e.exitCode === EXIT.usage,
    );
  });

  it("parses git's credential requests and answers Azure DevOps hosts only", () => {
    assert.deepEqual(
      parseCredentialRequest(
        "protocol=https\nhost=dev.azure.com\npath=org/p/_git/r\nwwwauth[]=x\n\nignored=1\n",
      ),
      { protocol: "https", host: "dev.azure.com", path: "org/p/_git/r" },
    );
    assert.ok(isAzureDevOpsHost("dev.azure.com"));
    assert.ok(isAzureDevOpsHost("contoso.visualstudio.com"));
    assert.ok(!isAzureDevOpsHost("github.com"));
    assert.ok(!isAzureDevOpsHost("dev.azure.com.evil.example"));
    assert.ok(isAzureDevOpsHost("127.0.0.1:8080", ["127.0.0.1:8080"]));
  });

  it("picks the only account, the named one, or asks which", () => {
    const a = account("a@x", "1.t");
    const b = account("b@x", "2.t");
    assert.equal(pickAccount([a]), a);
    assert.equal(pickAccount([a, b], "B@X"), b);
    assert.equal(pickAccount([a, b], "nobody"), undefined);
    assert.equal(pickAccount([]), undefined);
    assert.throws(
      () => pickAccount([a, b]),
      (e) => e instanceof CliError && /--account/.test(e.message),
    );
  });

  it("uses a device code where no browser can be shown", () => {
    assert.equal(detectEnvironment({ DISPLAY: ":0" }, "linux").canOpenBrowser, true);
    assert.equal(detectEnvironment({}, "linux").canOpenBrowser, false);
    assert.equal(detectEnvironment({ SSH_CONNECTION: "1 2 3 4" }, "darwin").canOpenBrowser, false);
    assert.equal(
      detectEnvironment({ SSH_CONNECTION: "1 2 3 4", DISPLAY: "localhost:10" }, "linux")
        .canOpenBrowser,
      true,
    );
  });
});

describe("command line as a process", () => {
  it(
    "lists every command in --help and each command's flags with an example",
    { timeout: 120_000 },
    async () => {
      const main = await runCli(["--help"], { env: cliHome() });
      assert.equal(main.code, 0, main.stderr);
      for (const command of ["login", "token", "accounts", "logout", "kube", "git", "doctor"]) {
        assert.match(main.stdout, new RegExp(`\\n  ${command} `));
        const help = await runCli([command, "--help"], { env: cliHome() });
        assert.equal(help.code, 0, help.stderr);
        assert.match(help.stdout, /^Usage: entra-auth /);
        assert.match(help.stdout, /Examples:\n {2}\S/);
        assert.match(help.stdout, /--client-id ID/);
      }
    },
  );

  it("ends a usage error in one line on stderr and exit code 2, with nothing on stdout", {
    timeout: 60_000,
  }, async () => {
    const unknown = await runCli(["frobnicate"], { env: cliHome() });
    assert.equal(unknown.code, 2);
    assert.equal(unknown.stdout, "");
    const noClient = await runCli(["token", "--scope", "User.Read"], {
      env: { ...cliHome(), ENTRA_AUTH_CLIENT_ID: undefined },
    });
    assert.equal(noClient.code, 2);
    assert.equal(noClient.stdout, "");
    assert.equal(noClient.stderr.trim().split("\n").length, 1, noClient.stderr);
    assert.match(noClient.stderr, /--client-id/);
    const badFlag = await runCli(["token", "--nope"], { env: cliHome() });
    assert.equal(badFlag.code, 2);
    assert.match(badFlag.stderr, /--nope.*entra-auth token --help/);
  });
});

describe("kube convert-kubeconfig", () => {
  it("finds kubelogin and azure auth-provider users with what they sign in with", async () => {
    const { entraUsers } = await import("../../src/cli/commands/kube_convert.ts");
    const users = entraUsers({
      users: [
        {
          name: "a",
          user: {
            exec: {
              command: "/usr/local/bin/kubelogin",
              args: [
                "get-token",
                "--login",
                "devicecode",
                "--server-id",
                "S",
                "--client-id=C",
                "--tenant-id",
                "T",
              ],
            },
          },
        },
        {
          name: "b",
          user: {
            "auth-provider": {
              name: "azure",
              config: { "apiserver-id": "S2", "client-id": "C2", "tenant-id": "T2" },
            },
          },
        },
        { name: "c", user: { exec: { command: "aws", args: ["eks", "get-token"] } } },
      ],
    });
    assert.deepEqual(users, [
      { name: "a", serverId: "S", clientId: "C", tenantId: "T", login: "devicecode" },
      { name: "b", serverId: "S2", clientId: "C2", tenantId: "T2" },
    ]);
  });
});

/**
 * The fast path of `entra-auth kube` (kubectl's exec credential plug-in): the same
 * `ExecCredential` as the full command when the cache holds a valid token for the cluster, and
 * the full command (with its errors) in every other case.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { kubeFromCache } from "../../src/cli/token_from_cache.ts";
import { CLIENT, user } from "../cache/helpers.ts";
import { runCli as runCliProcess } from "../support/cli.ts";
import { AUTHORITY, folderWith, fullCommand, hostFor, windows } from "./cache_fixture.ts";

const SERVER = "6dae42f8-4368-4678-94ff-3960e28e3630";
const V1 = JSON.stringify({
  apiVersion: "client.authentication.k8s.io/v1",
  spec: { interactive: false },
});

function kubeArgs(path: string, ...more: string[]): string[] {
  return [
    "--server-id",
    SERVER,
    "--client-id",
    CLIENT,
    "--authority",
    AUTHORITY,
    "--cache",
    "plaintext",
    "--cache-path",
    path,
    "--broker",
    "off",
    ...more,
  ];
}

describe("entra-auth kube from the cache (fast path)", { skip: windows }, () => {
  it("prints the ExecCredential the full command prints, v1 and v1beta1", async () => {
    const { dir, path } = await folderWith([{ who: user(1), scope: `${SERVER}/.default` }]);
    for (const apiVersion of ["v1", "v1beta1"]) {
      const info = JSON.stringify({
        apiVersion: `client.authentication.k8s.io/${apiVersion}`,
        spec: { interactive: false },
      });
      const host = await hostFor(dir, { KUBERNETES_EXEC_INFO: info });
      const fast = await kubeFromCache(kubeArgs(path), host);
      assert.ok("output" in fast, JSON.stringify(fast));
      const full = await fullCommand(["kube", ...kubeArgs(path)], host.env);
      assert.equal(full.code, 0, full.err);
      assert.equal(fast.output, full.out);
      const credential = JSON.parse(fast.output);
      assert.equal(credential.status.token, `at-${user(1).username}-${SERVER}/.default`);
      assert.equal(credential.apiVersion, `client.authentication.k8s.io/${apiVersion}`);
    }
  });

  it("gives way where the full command decides, which then reports as before", async () => {
    const { dir, path } = await folderWith([
      { who: user(1), scope: `${SERVER}/.default`, expiresIn: 120 },
    ]);
    const host = await hostFor(dir, { KUBERNETES_EXEC_INFO: V1 });
    assert.deepEqual(await kubeFromCache(kubeArgs(path), host), { reason: "no valid token" });
    const expired = await fullCommand(["kube", ...kubeArgs(path)], host.env);
    assert.equal(expired.code, 3, expired.err);
    const byHand = await hostFor(dir);
    assert.deepEqual(await kubeFromCache(kubeArgs(path), byHand), {
      reason: "no KUBERNETES_EXEC_INFO",
    });
    const oddOnes: Record<string, string>[] = [
      { KUBERNETES_EXEC_INFO: V1, AAD_LOGIN_METHOD: "msi" },
      {
        KUBERNETES_EXEC_INFO: JSON.stringify({
          apiVersion: "client.authentication.k8s.io/v1alpha1",
        }),
      },
    ];
    for (const env of oddOnes) {
      const odd = await hostFor(dir, env);
      const fast = await kubeFromCache(kubeArgs(path), odd);
      assert.match(JSON.stringify(fast), /^\{"reason":"error/);
      const full = await fullCommand(["kube", ...kubeArgs(path)], odd.env);
      assert.equal(full.code, 2, full.err);
    }
    assert.deepEqual(await kubeFromCache(["convert-kubeconfig"], host), { reason: "arguments" });
    assert.deepEqual(await kubeFromCache(kubeArgs(path).slice(2), host), { reason: "flags" });
  });

  it(
    "serves kubectl's get-token call from the cache, as a process",
    { timeout: 120_000 },
    async () => {
      const { dir, path } = await folderWith([{ who: user(1), scope: `${SERVER}/.default` }]);
      const run = await runCliProcess(["get-token", ...kubeArgs(path, "--login", "broker")], {
        env: { HOME: dir, KUBERNETES_EXEC_INFO: V1, ENTRA_AUTH_LOG: "startup" },
      });
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stderr, "entra-auth: startup: served from the cache\n");
      assert.equal(
        JSON.parse(run.stdout).status.token,
        `at-${user(1).username}-${SERVER}/.default`,
      );
    },
  );
});

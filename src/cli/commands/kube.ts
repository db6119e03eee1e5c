/**
 * `entra-auth kube` (alias `get-token`): a kubectl exec credential plug-in, a drop-in for the
 * common kubelogin set-ups (`--server-id`, `--client-id`, `--tenant-id`, `--login`,
 * `AAD_LOGIN_METHOD`). It reads `KUBERNETES_EXEC_INFO` for the API version and whether kubectl
 * can prompt, and prints an `ExecCredential` on stdout.
 *
 * @module
 */

import { helpText, parse, SETTING_FLAGS, settingFlags } from "../args.ts";
import { CliError, EXIT } from "../exit_codes.ts";
import type { CommandContext } from "../main.ts";
import { sessionFor } from "../session.ts";

const KUBE_FLAGS = {
  "server-id": {
    type: "string",
    value: "ID",
    help: "the cluster's server application id: the token is for <ID>/.default (required)",
  },
  "tenant-id": { type: "string", value: "TENANT", help: "tenant id (as kubelogin's --tenant-id)" },
  "login": {
    type: "string",
    short: "l",
    value: "METHOD",
    help: "interactive (default), devicecode, or broker (AAD_LOGIN_METHOD overrides)",
  },
  "account": { type: "string", value: "USER", help: "the account, when several are signed in" },
  ...SETTING_FLAGS,
} as const;

/** The `kube` help text. */
export const KUBE_HELP: string = helpText(
  "entra-auth kube --server-id ID --client-id ID --tenant-id TENANT [--login METHOD]",
  "A kubectl exec credential plug-in: prints an ExecCredential (client.authentication.k8s.io v1 or\n"
    + "v1beta1, as kubectl asks) with a token for the cluster. Many kubectl processes at once sign in\n"
    + "once: they wait for the first and reuse its token. Never prompts when kubectl says it cannot.",
  KUBE_FLAGS,
  [
    "entra-auth kube convert-kubeconfig   # rewrite kubelogin users of ~/.kube/config to use entra-auth",
    "kubectl config set-credentials aks-user --exec-api-version=client.authentication.k8s.io/v1 \\",
    "  --exec-command=entra-auth --exec-arg=kube --exec-arg=--server-id=6dae42f8-4368-4678-94ff-3960e28e3630 \\",
    "  --exec-arg=--client-id=$APP --exec-arg=--tenant-id=$TENANT --exec-interactive-mode=IfAvailable",
  ],
);

const API_VERSIONS = ["client.authentication.k8s.io/v1", "client.authentication.k8s.io/v1beta1"];

/** What kubectl passes in `KUBERNETES_EXEC_INFO`. */
export interface ExecInfo {
  apiVersion: string;
  interactive: boolean;
}

/**
 * Reads `KUBERNETES_EXEC_INFO` (absent when run by hand: v1beta1 and interactive when stdin is
 * a terminal).
 *
 * @param text the variable's value
 * @param stdinIsTty whether a person could answer
 * @returns the API version and whether prompting is allowed
 * @throws CliError when kubectl asks for a version this plug-in does not speak
 */
export function readExecInfo(text: string | undefined, stdinIsTty: boolean): ExecInfo {
  if (!text) return { apiVersion: API_VERSIONS[1], interactive: stdinIsTty };
  let info: { apiVersion?: unknown; spec?: { interactive?: unknown; }; };
  try {
    info = JSON.parse(text);
  } catch {
    throw new CliError(EXIT.usage, "KUBERNETES_EXEC_INFO is not JSON");
  }
  const apiVersion = typeof info?.apiVersion === "string" ? info.apiVersion : API_VERSIONS[1];
  if (!API_VERSIONS.includes(apiVersion)) {
    throw new CliError(
      EXIT.usage,
      `kubectl asks for ${apiVersion}; entra-auth speaks ${API_VERSIONS.join(" and ")}`,
    );
  }
  return { apiVersion, interactive: info?.spec?.interactive === true };
}

/** `entra-auth kube`. */
export async function kubeCommand(ctx: CommandContext, argv: string[]): Promise<number> {
  if (argv[0] === "convert-kubeconfig") {
    const { convertKubeconfigCommand } = await import("./kube_convert.ts");
    return convertKubeconfigCommand(ctx, argv.slice(1));
  }
  const { values } = parse("kube", argv, KUBE_FLAGS);
  if (values.help) {
    ctx.io.out(KUBE_HELP);
    return EXIT.ok;
  }
  const serverId = values["server-id"] as string | undefined;
  if (!serverId) {
    throw new CliError(EXIT.usage, "--server-id is required (the cluster's server app id)");
  }
  const login =
    (ctx.io.env.AAD_LOGIN_METHOD || (values.login as string | undefined) || "interactive")
      .toLowerCase();
  if (!["interactive", "devicecode", "broker"].includes(login)) {
    throw new CliError(
      EXIT.usage,
      `--login ${login} is not supported: use interactive, devicecode or broker`,
    );
  }
  const exec = readExecInfo(ctx.io.env.KUBERNETES_EXEC_INFO, ctx.stdinIsTty);
  const flags = settingFlags(values);
  flags.tenant ??= values["tenant-id"] as string | undefined;
  if (login === "broker") flags.broker ??= "on";
  const session = sessionFor(ctx, flags, values);
  try {
    const scope = /^[\w-]+:\/\//.test(serverId)
      ? `${serverId.replace(/\/+$/, "")}/.default`
      : `${serverId}/.default`;
    const result = await session.token({
      scopes: [scope],
      account: values.account as string | undefined,
      interactive: exec.interactive,
      deviceCode: login === "devicecode",
      brokerOnly: login === "broker",
      signal: ctx.signal,
    });
    const credential = {
      kind: "ExecCredential",
      apiVersion: exec.apiVersion,
      spec: { interactive: exec.interactive },
      status: {
        expirationTimestamp: result.expiresOn.toISOString().replace(/\.\d{3}Z$/, "Z"),
        token: result.accessToken,
      },
    };
    ctx.io.out(`${JSON.stringify(credential)}\n`);
    return EXIT.ok;
  } finally {
    await session.close();
  }
}

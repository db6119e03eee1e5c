/**
 * `entra-auth kube` (alias `get-token`): a kubectl exec credential plug-in, a drop-in for the
 * common kubelogin set-ups (`--server-id`, `--client-id`, `--tenant-id`, `--login`,
 * `AAD_LOGIN_METHOD`). It reads `KUBERNETES_EXEC_INFO` for the API version and whether kubectl
 * can prompt, and prints an `ExecCredential` on stdout.
 *
 * @module
 */

import { helpText, parse, settingFlags } from "../args.ts";
import { CliError, EXIT } from "../exit_codes.ts";
import {
  execCredential,
  KUBE_FLAGS,
  kubeScope,
  loginMethod,
  readExecInfo,
} from "../kube_request.ts";
import type { CommandContext } from "../main.ts";
import { sessionFor } from "../session.ts";

export { type ExecInfo, readExecInfo } from "../kube_request.ts";

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
  const login = loginMethod(ctx.io.env, values.login as string | undefined);
  const exec = readExecInfo(ctx.io.env.KUBERNETES_EXEC_INFO, ctx.stdinIsTty);
  const flags = settingFlags(values);
  flags.tenant ??= values["tenant-id"] as string | undefined;
  if (login === "broker") flags.broker ??= "on";
  const session = sessionFor(ctx, flags, values);
  try {
    const result = await session.token({
      scopes: [kubeScope(serverId)],
      account: values.account as string | undefined,
      interactive: exec.interactive,
      deviceCode: login === "devicecode",
      brokerOnly: login === "broker",
      signal: ctx.signal,
    });
    ctx.io.out(execCredential(exec, result));
    return EXIT.ok;
  } finally {
    await session.close();
  }
}

/**
 * `entra-auth kube convert-kubeconfig`: rewrites the kubeconfig's users that sign in with
 * kubelogin (an `exec` of `kubelogin get-token`) or the retired `azure` auth provider so that
 * they run `entra-auth kube` instead, keeping their server id, client id and tenant. kubectl
 * itself reads and writes the file (`kubectl config view -o json`, `config set-credentials`),
 * so its format and comments-free YAML are kubectl's own.
 *
 * @module
 */

import { spawnSync } from "node:child_process";
import { basename } from "node:path";
import { helpText, parse } from "../args.ts";
import { CliError, EXIT } from "../exit_codes.ts";
import type { CommandContext } from "../main.ts";

const CONVERT_FLAGS = {
  "kubeconfig": { type: "string", value: "FILE", help: "the kubeconfig (default: kubectl's)" },
  "context": { type: "string", value: "NAME", help: "convert only this context's user" },
  "client-id": { type: "string", value: "ID", help: "use this client id instead of the one found" },
  "login": {
    type: "string",
    short: "l",
    value: "METHOD",
    help: "interactive, devicecode or broker (default: the one found, else interactive)",
  },
  "exec-command": {
    type: "string",
    value: "PATH",
    help: "the command kubectl runs (default: entra-auth)",
  },
  "exec-arg": {
    type: "string",
    multiple: true,
    value: "ARG",
    help: "arguments before `kube` (e.g. for `deno run -A …/cli`)",
  },
  "help": { type: "boolean", short: "h", help: "show this help" },
} as const;

/** The `kube convert-kubeconfig` help text. */
export const CONVERT_HELP: string = helpText(
  "entra-auth kube convert-kubeconfig [--kubeconfig FILE] [--context NAME] [options]",
  "Rewrites the kubeconfig's kubelogin and azure auth-provider users to use `entra-auth kube`\n"
    + "(exec credential plug-in, client.authentication.k8s.io/v1), keeping server id, client id and tenant.",
  CONVERT_FLAGS,
  [
    "entra-auth kube convert-kubeconfig",
    "entra-auth kube convert-kubeconfig --context aks-prod --login broker",
  ],
);

/** What a user of the kubeconfig signs in with, when it is something we replace. */
export interface EntraUser {
  name: string;
  serverId?: string;
  clientId?: string;
  tenantId?: string;
  login?: string;
}

interface KubeUser {
  name: string;
  user?: {
    exec?: { command?: string; args?: string[] | null; };
    "auth-provider"?: { name?: string; config?: Record<string, string>; };
  };
}

function flagValue(args: string[], name: string): string | undefined {
  for (let i = 0; i < args.length; i++) {
    if (args[i] === name) return args[i + 1];
    if (args[i].startsWith(`${name}=`)) return args[i].slice(name.length + 1);
  }
  return undefined;
}

/**
 * The users of a `kubectl config view -o json` document that use kubelogin or the azure
 * auth provider, with what they sign in with.
 *
 * @param config the parsed kubeconfig
 * @returns the users to convert
 */
export function entraUsers(config: { users?: KubeUser[] | null; }): EntraUser[] {
  const out: EntraUser[] = [];
  for (const u of config.users ?? []) {
    const exec = u.user?.exec;
    const provider = u.user?.["auth-provider"];
    if (exec?.command && basename(exec.command).replace(/\.exe$/, "") === "kubelogin") {
      const args = exec.args ?? [];
      out.push({
        name: u.name,
        serverId: flagValue(args, "--server-id"),
        clientId: flagValue(args, "--client-id"),
        tenantId: flagValue(args, "--tenant-id"),
        login: flagValue(args, "--login") ?? flagValue(args, "-l"),
      });
    } else if (provider?.name === "azure") {
      const c = provider.config ?? {};
      out.push({
        name: u.name,
        serverId: c["apiserver-id"],
        clientId: c["client-id"],
        tenantId: c["tenant-id"],
      });
    }
  }
  return out;
}

function kubectl(args: string[]): string {
  const r = spawnSync("kubectl", args, { encoding: "utf8" });
  if (r.error) {
    throw new CliError(EXIT.failure, "kubectl was not found: install it and put it on the PATH");
  }
  if (r.status !== 0) {
    throw new CliError(EXIT.failure, `kubectl ${args.join(" ")} failed: ${r.stderr.trim()}`);
  }
  return r.stdout;
}

/** `entra-auth kube convert-kubeconfig`. */
export function convertKubeconfigCommand(ctx: CommandContext, argv: string[]): Promise<number> {
  const { values } = parse("kube convert-kubeconfig", argv, CONVERT_FLAGS);
  if (values.help) {
    ctx.io.out(CONVERT_HELP);
    return Promise.resolve(EXIT.ok);
  }
  const file = values.kubeconfig as string | undefined;
  const base = file ? ["--kubeconfig", file] : [];
  const config = JSON.parse(kubectl([...base, "config", "view", "-o", "json"]));
  let users = entraUsers(config);
  const context = values.context as string | undefined;
  if (context) {
    const entry = (config.contexts ?? []).find((c: { name: string; }) => c.name === context);
    if (!entry) throw new CliError(EXIT.usage, `the kubeconfig has no context ${context}`);
    users = users.filter((u) => u.name === entry.context?.user);
  }
  if (users.length === 0) {
    ctx.io.err("entra-auth: no kubelogin or azure auth-provider user to convert\n");
    return Promise.resolve(EXIT.ok);
  }
  const login = values.login as string | undefined;
  if (login && !["interactive", "devicecode", "broker"].includes(login)) {
    throw new CliError(EXIT.usage, "--login must be interactive, devicecode or broker");
  }
  for (const u of users) {
    const clientId = (values["client-id"] as string | undefined) ?? u.clientId;
    if (!u.serverId || !clientId) {
      throw new CliError(
        EXIT.usage,
        `user ${u.name} has no ${u.serverId ? "client id: pass --client-id" : "server id"}`,
      );
    }
    const method = login
      ?? (["devicecode", "broker"].includes(u.login ?? "") ? u.login! : "interactive");
    const args = [
      ...((values["exec-arg"] as string[] | undefined) ?? []),
      "kube",
      `--server-id=${u.serverId}`,
      `--client-id=${clientId}`,
      ...(u.tenantId ? [`--tenant-id=${u.tenantId}`] : []),
      `--login=${method}`,
    ];
    kubectl([...base, "config", "unset", `users.${u.name}`]);
    kubectl([
      ...base,
      "config",
      "set-credentials",
      u.name,
      `--exec-command=${(values["exec-command"] as string | undefined) ?? "entra-auth"}`,
      "--exec-api-version=client.authentication.k8s.io/v1",
      "--exec-interactive-mode=IfAvailable",
      ...args.map((a) => `--exec-arg=${a}`),
    ]);
    ctx.io.err(
      `entra-auth: user ${u.name} now signs in with entra-auth (server id ${u.serverId})\n`,
    );
  }
  return Promise.resolve(EXIT.ok);
}

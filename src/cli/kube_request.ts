/**
 * What `entra-auth kube` (kubectl's exec credential plug-in) asks for and prints: its flags,
 * kubelogin's login methods, `KUBERNETES_EXEC_INFO`, the cluster's scope and the
 * `ExecCredential`. Shared by the command and the fast path that serves the token from the
 * cache (`token_from_cache.ts`). Imports nothing at run time but the exit codes.
 *
 * @module
 */

import type { AuthenticationResult } from "../result.ts";
import { CliError, EXIT } from "./cli_error.ts";
import { SETTING_FLAGS } from "./flags.ts";

/** The flags of `entra-auth kube`. */
export const KUBE_FLAGS = {
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

const API_VERSIONS: readonly string[] = [
  "client.authentication.k8s.io/v1",
  "client.authentication.k8s.io/v1beta1",
];

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
 * @example
 * ```ts
 * import { readExecInfo } from "./kube_request.ts";
 * const info = '{"apiVersion":"client.authentication.k8s.io/v1","spec":{"interactive":false}}';
 * console.log(readExecInfo(info, true)); // { apiVersion: "client.authentication.k8s.io/v1", interactive: false }
 * ```
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

/**
 * The login method: `AAD_LOGIN_METHOD` (kubelogin's override), else `--login`, else
 * `interactive`.
 *
 * @param env the environment
 * @param login `--login`
 * @returns `interactive`, `devicecode` or `broker`
 * @throws CliError for any other method
 * @example
 * ```ts
 * import { loginMethod } from "./kube_request.ts";
 * console.log(loginMethod({ AAD_LOGIN_METHOD: "DeviceCode" }, undefined)); // devicecode
 * ```
 */
export function loginMethod(
  env: Record<string, string | undefined>,
  login: string | undefined,
): string {
  const method = (env.AAD_LOGIN_METHOD || login || "interactive").toLowerCase();
  if (!["interactive", "devicecode", "broker"].includes(method)) {
    throw new CliError(
      EXIT.usage,
      `--login ${method} is not supported: use interactive, devicecode or broker`,
    );
  }
  return method;
}

/**
 * The scope of a cluster's server application: `<id>/.default`.
 *
 * @param serverId `--server-id` (an application id or URI)
 * @returns the scope
 * @example
 * ```ts
 * import { kubeScope } from "./kube_request.ts";
 * console.log(kubeScope("api://aks/")); // api://aks/.default
 * ```
 */
export function kubeScope(serverId: string): string {
  return /^[\w-]+:\/\//.test(serverId)
    ? `${serverId.replace(/\/+$/, "")}/.default`
    : `${serverId}/.default`;
}

/**
 * The `ExecCredential` kubectl reads from stdout.
 *
 * @param exec the API version and whether kubectl allows prompting
 * @param result the token
 * @returns the JSON line
 * @example
 * ```ts ignore
 * import { execCredential } from "./kube_request.ts";
 * process.stdout.write(execCredential({ apiVersion: "client.authentication.k8s.io/v1", interactive: false }, result));
 * ```
 */
export function execCredential(exec: ExecInfo, result: AuthenticationResult): string {
  const credential = {
    kind: "ExecCredential",
    apiVersion: exec.apiVersion,
    spec: { interactive: exec.interactive },
    status: {
      expirationTimestamp: result.expiresOn.toISOString().replace(/\.\d{3}Z$/, "Z"),
      token: result.accessToken,
    },
  };
  return `${JSON.stringify(credential)}\n`;
}

/**
 * `entra-auth git get|store|erase`: a git credential helper. For Azure DevOps hosts
 * (`dev.azure.com`, `*.visualstudio.com`) `get` answers with a username and an Entra token
 * for Azure DevOps as the password (with `password_expiry_utc`); other hosts get no answer,
 * so git asks the next helper. `store` and `erase` keep nothing: the token cache is the store.
 *
 * @module
 */

import { helpText, parse, SETTING_FLAGS, settingFlags, SIGN_IN_FLAGS } from "../args.ts";
import { CliError, EXIT } from "../exit_codes.ts";
import type { CommandContext } from "../main.ts";
import { sessionFor } from "../session.ts";

/** Azure DevOps' resource id: its tokens are for `<id>/.default`. */
export const AZURE_DEVOPS_RESOURCE = "499b84ac-1321-427f-aa17-267ca6975798";

const GIT_FLAGS = {
  "host": {
    type: "string",
    multiple: true,
    value: "HOST",
    help: "also answer for HOST (e.g. an Azure DevOps Server or a test host)",
  },
  ...SIGN_IN_FLAGS,
  ...SETTING_FLAGS,
} as const;

/** The `git` help text. */
export const GIT_HELP: string = helpText(
  "entra-auth git (get|store|erase) [options]",
  "A git credential helper for Azure DevOps: git writes the request on stdin; for dev.azure.com and\n"
    + "*.visualstudio.com `get` answers with an Entra token as the password. Other hosts are left to\n"
    + "the next helper.",
  GIT_FLAGS,
  [
    "git config --global credential.https://dev.azure.com.helper \"entra-auth git --client-id $APP\"",
    "git config --global credential.https://dev.azure.com.useHttpPath true",
  ],
);

/**
 * Parses git's credential description (`key=value` lines up to a blank line).
 *
 * @param text what git wrote
 * @returns the attributes (the last value wins; `key[]` attributes are skipped)
 */
export function parseCredentialRequest(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const trimmed = line.replace(/\r$/, "");
    if (trimmed === "") break;
    const eq = trimmed.indexOf("=");
    if (eq <= 0) continue;
    const key = trimmed.slice(0, eq);
    if (key.endsWith("[]")) continue;
    out[key] = trimmed.slice(eq + 1);
  }
  return out;
}

/** Whether git asks about an Azure DevOps host (or one named with --host). */
export function isAzureDevOpsHost(host: string, extra: readonly string[] = []): boolean {
  const h = host.toLowerCase();
  const name = h.replace(/:\d+$/, "");
  return name === "dev.azure.com" || name.endsWith(".dev.azure.com")
    || name.endsWith(".visualstudio.com") || extra.some((e) => e.toLowerCase() === h);
}

/** `entra-auth git`. */
export async function gitCommand(ctx: CommandContext, argv: string[]): Promise<number> {
  const { values, positionals } = parse("git", argv, GIT_FLAGS);
  if (values.help) {
    ctx.io.out(GIT_HELP);
    return EXIT.ok;
  }
  const action = positionals[0];
  if (!action || !["get", "store", "erase"].includes(action)) {
    throw new CliError(EXIT.usage, "entra-auth git takes get, store or erase (git passes it)");
  }
  const request = parseCredentialRequest(await ctx.io.readStdin());
  // store and erase: nothing to keep, the cache holds the token; a refused token is renewed
  // on the next get because git erases only what it was given.
  if (action !== "get") return EXIT.ok;
  const extra = (values.host as string[] | undefined) ?? [];
  if (!request.host || !isAzureDevOpsHost(request.host, extra)) return EXIT.ok;
  if (request.protocol && request.protocol !== "https" && !extra.length) return EXIT.ok;
  const session = sessionFor(ctx, settingFlags(values), values);
  try {
    const result = await session.token({
      scopes: [`${AZURE_DEVOPS_RESOURCE}/.default`],
      account: (values.account as string | undefined) ?? (request.username || undefined),
      interactive: !values["no-interactive"],
      deviceCode: Boolean(values["device-code"]),
      signal: ctx.signal,
    });
    const lines = [
      `protocol=${request.protocol ?? "https"}`,
      `host=${request.host}`,
      ...(request.path ? [`path=${request.path}`] : []),
      `username=${request.username || result.account.username || "entra-auth"}`,
      `password=${result.accessToken}`,
      `password_expiry_utc=${Math.floor(result.expiresOn.getTime() / 1000)}`,
    ];
    ctx.io.out(`${lines.join("\n")}\n\n`);
    return EXIT.ok;
  } finally {
    await session.close();
  }
}

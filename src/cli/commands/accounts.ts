/**
 * `entra-auth accounts` and `entra-auth logout`.
 *
 * @module
 */

import { helpText, parse, SETTING_FLAGS, settingFlags } from "../args.ts";
import { CliError, EXIT } from "../exit_codes.ts";
import type { CommandContext } from "../main.ts";
import { sessionFor } from "../session.ts";

const ACCOUNTS_FLAGS = {
  "json": { type: "boolean", help: "print JSON (the default when stdout is not a terminal)" },
  ...SETTING_FLAGS,
} as const;

const LOGOUT_FLAGS = {
  "account": { type: "string", value: "USER", help: "the account to sign out (username)" },
  "all": { type: "boolean", help: "sign every account out of this app" },
  ...SETTING_FLAGS,
} as const;

/** The `accounts` help text. */
export const ACCOUNTS_HELP: string = helpText(
  "entra-auth accounts [--json] [options]",
  "Lists the accounts signed in to this app (the broker's and the token cache's).",
  ACCOUNTS_FLAGS,
  ["entra-auth accounts", "entra-auth accounts --json | jq -r '.[].username'"],
);

/** The `logout` help text. */
export const LOGOUT_HELP: string = helpText(
  "entra-auth logout (--account USER | --all) [options]",
  "Signs accounts out of this app: removes their tokens from the cache and signs them out in the\n"
    + "broker. With one account signed in, --account may be left out.",
  LOGOUT_FLAGS,
  ["entra-auth logout --account alice@contoso.com", "entra-auth logout --all"],
);

/** `entra-auth accounts`. */
export async function accountsCommand(ctx: CommandContext, argv: string[]): Promise<number> {
  const { values } = parse("accounts", argv, ACCOUNTS_FLAGS);
  if (values.help) {
    ctx.io.out(ACCOUNTS_HELP);
    return EXIT.ok;
  }
  const session = sessionFor(ctx, settingFlags(values), values);
  try {
    const accounts = await session.accounts();
    const rows = accounts.map((a) => ({
      username: a.username,
      name: a.name ?? "",
      tenantId: a.tenantId,
      homeAccountId: a.homeAccountId,
      environment: a.environment,
      broker: Boolean(a.nativeAccountId),
    }));
    if (values.json || !ctx.io.stdoutIsTty) {
      ctx.io.out(`${JSON.stringify(rows, null, 2)}\n`);
    } else if (rows.length === 0) {
      ctx.io.out("No account is signed in. Run: entra-auth login\n");
    } else {
      const head = ["USERNAME", "NAME", "TENANT", "BROKER"];
      const body = rows.map((r) => [r.username, r.name, r.tenantId, r.broker ? "yes" : "no"]);
      const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
      for (const line of [head, ...body]) {
        ctx.io.out(`${line.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd()}\n`);
      }
    }
    return EXIT.ok;
  } finally {
    await session.close();
  }
}

/** `entra-auth logout`. */
export async function logoutCommand(ctx: CommandContext, argv: string[]): Promise<number> {
  const { values } = parse("logout", argv, LOGOUT_FLAGS);
  if (values.help) {
    ctx.io.out(LOGOUT_HELP);
    return EXIT.ok;
  }
  const session = sessionFor(ctx, settingFlags(values), values);
  try {
    const accounts = await session.accounts();
    const wanted = (values.account as string | undefined)?.toLowerCase();
    let chosen;
    if (values.all) chosen = accounts;
    else if (wanted) chosen = accounts.filter((a) => a.username.toLowerCase() === wanted);
    else if (new Set(accounts.map((a) => a.homeAccountId)).size <= 1) chosen = accounts;
    else {
      throw new CliError(
        EXIT.usage,
        "several accounts are signed in: pass --account USER or --all",
      );
    }
    if (wanted && chosen.length === 0) {
      throw new CliError(EXIT.usage, `no signed-in account is named ${values.account}`);
    }
    await session.logout(chosen);
    const names = [...new Set(chosen.map((a) => a.username))];
    ctx.io.err(names.length ? `Signed out: ${names.join(", ")}.\n` : "No account was signed in.\n");
    return EXIT.ok;
  } finally {
    await session.close();
  }
}

/**
 * `entra-auth token` and `entra-auth login`: print an access token, or sign in.
 *
 * @module
 */

import { helpText, parse, SETTING_FLAGS, settingFlags } from "../args.ts";
import { CliError, EXIT } from "../exit_codes.ts";
import type { CommandContext } from "../main.ts";
import { sessionFor } from "../session.ts";
import { OUTPUTS, scopesOf, TOKEN_FLAGS, tokenOutput } from "../token_request.ts";

export { azShape, scopesOf } from "../token_request.ts";

const LOGIN_FLAGS = {
  "scope": {
    type: "string",
    multiple: true,
    value: "SCOPE",
    help: "scopes to consent to now (repeatable)",
  },
  "account": { type: "string", value: "USER", help: "the username to sign in as (a login hint)" },
  "device-code": { type: "boolean", help: "sign in with a device code instead of a browser" },
  ...SETTING_FLAGS,
} as const;

/** The `token` help text. */
export const TOKEN_HELP: string = helpText(
  "entra-auth token (--scope SCOPE… | --resource URI) [options]",
  "Prints an access token on stdout: from the cache when one is valid, else silently (the broker,\n"
    + "or a refresh token), else by signing in when prompting is allowed.",
  TOKEN_FLAGS,
  [
    "entra-auth token --client-id $APP --resource https://management.azure.com",
    "curl -H \"$(entra-auth token --scope User.Read -o header)\" https://graph.microsoft.com/v1.0/me",
    "entra-auth token --scope api://my-api/.default -o json --no-interactive",
  ],
);

/** The `login` help text. */
export const LOGIN_HELP: string = helpText(
  "entra-auth login [options]",
  "Signs in: through the OS broker when available, else the browser, else a device code (chosen\n"
    + "when there is no display: SSH, containers, WSL without a browser). Prints who signed in, to stderr.",
  LOGIN_FLAGS,
  ["entra-auth login --client-id $APP --tenant contoso.com", "entra-auth login --device-code"],
);

/** `entra-auth token`. */
export async function tokenCommand(ctx: CommandContext, argv: string[]): Promise<number> {
  const { values } = parse("token", argv, TOKEN_FLAGS);
  if (values.help) {
    ctx.io.out(TOKEN_HELP);
    return EXIT.ok;
  }
  const scopes = scopesOf(values);
  if (scopes.length === 0) {
    throw new CliError(EXIT.usage, "name what the token is for: --scope SCOPE or --resource URI");
  }
  const output = (values.output as string | undefined) ?? "token";
  if (!OUTPUTS.includes(output)) {
    throw new CliError(EXIT.usage, `--output must be token, json or header (got "${output}")`);
  }
  const session = sessionFor(ctx, settingFlags(values), values);
  try {
    const result = await session.token({
      scopes,
      account: values.account as string | undefined,
      interactive: !values["no-interactive"],
      deviceCode: Boolean(values["device-code"]),
      forceRefresh: Boolean(values["force-refresh"]),
      signal: ctx.signal,
    });
    ctx.io.out(tokenOutput(output, result));
    return EXIT.ok;
  } finally {
    await session.close();
  }
}

/** `entra-auth login`. */
export async function loginCommand(ctx: CommandContext, argv: string[]): Promise<number> {
  const { values } = parse("login", argv, LOGIN_FLAGS);
  if (values.help) {
    ctx.io.out(LOGIN_HELP);
    return EXIT.ok;
  }
  const scopes = scopesOf(values);
  const session = sessionFor(ctx, settingFlags(values), values);
  try {
    const result = await session.login({
      scopes: scopes.length ? scopes : ["openid", "profile", "offline_access"],
      account: values.account as string | undefined,
      interactive: true,
      chooseAccount: true,
      deviceCode: Boolean(values["device-code"]),
      signal: ctx.signal,
    });
    ctx.io.err(
      `Signed in as ${result.account.username || result.account.homeAccountId}`
        + `${result.fromBroker ? " (through the broker)" : ""}.\n`,
    );
    return EXIT.ok;
  } finally {
    await session.close();
  }
}

/**
 * `entra-auth doctor`: whether the broker can be used here, check by check, and how to fix
 * what is not. A table on a terminal, JSON otherwise (or with `--json`); exit code 9 when
 * something blocks sign-in.
 *
 * @module
 */

import { helpText, parse, SETTING_FLAGS, settingFlags } from "../args.ts";
import { type CliSettings, resolveSettings } from "../config.ts";
import { type CheckResult, runChecks } from "../doctor_checks.ts";
import { CliError, EXIT } from "../exit_codes.ts";
import { styles } from "../io.ts";
import type { CommandContext } from "../main.ts";

const DOCTOR_FLAGS = {
  "json": { type: "boolean", help: "print JSON (the default when stdout is not a terminal)" },
  "online": { type: "boolean", help: "also check that the authority answers" },
  ...SETTING_FLAGS,
} as const;

/** The `doctor` help text. */
export const DOCTOR_HELP: string = helpText(
  "entra-auth doctor [--json] [--online] [options]",
  "Checks whether the OS broker can be used and how to fix what is missing: the OS, the runtime and\n"
    + "its permissions, MSALRuntime and its system libraries, the D-Bus session bus and the broker on it,\n"
    + "a display, SSH/WSL/containers, the keyring and the token cache; with --online, the authority.",
  DOCTOR_FLAGS,
  ["entra-auth doctor", "entra-auth doctor --json | jq '.checks[] | select(.status == \"fail\")'"],
);

/** `entra-auth doctor`. */
export async function doctorCommand(ctx: CommandContext, argv: string[]): Promise<number> {
  const { values } = parse("doctor", argv, DOCTOR_FLAGS);
  if (values.help) {
    ctx.io.out(DOCTOR_HELP);
    return EXIT.ok;
  }
  await ctx.io.protectStdout();
  let settings: CliSettings | undefined;
  try {
    settings = resolveSettings(settingFlags(values), ctx.io.env);
  } catch (err) {
    // Without a client id the local checks still run; a broken config file is a finding.
    if (!(err instanceof CliError) || err.exitCode !== EXIT.usage) throw err;
  }
  const checks = await runChecks({ settings, env: ctx.io.env, online: Boolean(values.online) });
  const failed = checks.some((c) => c.status === "fail");
  if (values.json || !ctx.io.stdoutIsTty) {
    ctx.io.out(`${JSON.stringify({ ok: !failed, checks }, null, 2)}\n`);
  } else {
    ctx.io.out(table(checks, ctx.io.color));
  }
  return failed ? EXIT.doctorFailed : EXIT.ok;
}

function table(checks: CheckResult[], color: boolean): string {
  const s = styles(color);
  const mark = {
    ok: `${s.green}ok${s.reset}`,
    warn: `${s.yellow}warn${s.reset}`,
    fail: `${s.red}FAIL${s.reset}`,
    info: "info",
  };
  const width = Math.max(...checks.map((c) => c.title.length));
  const lines = checks.map((c) => {
    const head = `${mark[c.status]}${" ".repeat(5 - c.status.length)}${
      c.title.padEnd(width)
    }  ${c.detail}`;
    return c.fix ? `${head}\n${" ".repeat(width + 7)}${s.bold}fix:${s.reset} ${c.fix}` : head;
  });
  return `${lines.join("\n")}\n`;
}

/**
 * The `entra-auth` command line: dispatches a command, turns every failure into one line on
 * stderr and a documented exit code, and cancels cleanly on Ctrl-C (exit code 130).
 *
 * @module
 */

import process from "node:process";
import { isatty } from "node:tty";
import { describeFailure, EXIT } from "./exit_codes.ts";
import { type CliIo, processIo } from "./io.ts";

/** What every command is given. */
export interface CommandContext {
  io: CliIo;
  /** Aborted on Ctrl-C. */
  signal: AbortSignal;
  /** Whether a person could answer a prompt on stdin. */
  stdinIsTty: boolean;
}

type Command = (ctx: CommandContext, argv: string[]) => Promise<number>;

const COMMANDS: Record<string, () => Promise<Command>> = {
  login: async () => (await import("./commands/token.ts")).loginCommand,
  token: async () => (await import("./commands/token.ts")).tokenCommand,
  accounts: async () => (await import("./commands/accounts.ts")).accountsCommand,
  logout: async () => (await import("./commands/accounts.ts")).logoutCommand,
  kube: async () => (await import("./commands/kube.ts")).kubeCommand,
  "get-token": async () => (await import("./commands/kube.ts")).kubeCommand,
  git: async () => (await import("./commands/git.ts")).gitCommand,
  doctor: async () => (await import("./commands/doctor.ts")).doctorCommand,
};

/** The top-level help. */
export const MAIN_HELP: string = `Usage: entra-auth <command> [options]

Sign in to Microsoft Entra ID through the OS authentication broker (or a browser, or a device
code) and hand tokens to scripts, kubectl and git. Results go to stdout; everything else to stderr.

Commands:
  login      sign in
  token      print an access token (--scope / --resource; --output token|json|header)
  accounts   list signed-in accounts
  logout     sign accounts out
  kube       kubectl exec credential plug-in (alias: get-token)
  git        git credential helper for Azure DevOps
  doctor     check whether the broker can be used here, and how to fix what is missing

Configuration: flags, then ENTRA_AUTH_* variables (ENTRA_AUTH_CLIENT_ID, ENTRA_AUTH_TENANT_ID,
ENTRA_AUTH_AUTHORITY, ENTRA_AUTH_BROKER, ENTRA_AUTH_CACHE, ENTRA_AUTH_PROFILE; ENTRA_AUTH_LOG=broker
adds MSALRuntime's log lines to stderr), then a profile of
the config file (~/.config/entra-auth/config.json).

Exit codes: 0 ok, 1 failure, 2 usage, 3 sign-in needed but not allowed, 4 broker unavailable,
5 cache or keyring, 6 network or identity provider, 7 config file, 8 canceled or timed out,
9 doctor found a blocker, 130 interrupted.

Run 'entra-auth <command> --help' for a command's options and examples.
`;

/**
 * Runs the command line.
 *
 * @param argv the arguments (without the runtime and script)
 * @param io the streams (the process's by default)
 * @returns the exit code
 * @example
 * ```ts ignore
 * import { runCli } from "./main.ts";
 * const code = await runCli(["token", "--scope", "User.Read", "--client-id", "…"]);
 * ```
 */
export async function runCli(argv: string[], io: CliIo = processIo()): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    (name ? io.out : io.err)(MAIN_HELP);
    return name ? EXIT.ok : EXIT.usage;
  }
  if (name === "--version") {
    io.out("entra-auth 0.1.0\n");
    return EXIT.ok;
  }
  const load = COMMANDS[name];
  if (!load) {
    io.err(`entra-auth: unknown command "${name}": run entra-auth --help\n`);
    return EXIT.usage;
  }
  const controller = new AbortController();
  let interrupts = 0;
  const onInterrupt = () => {
    interrupts++;
    if (interrupts > 1) process.exit(EXIT.interrupted);
    io.err("\nentra-auth: interrupted\n");
    controller.abort(new Error("interrupted"));
  };
  process.on("SIGINT", onInterrupt);
  try {
    const command = await load();
    return await command(
      { io, signal: controller.signal, stdinIsTty: isatty(0) },
      rest,
    );
  } catch (err) {
    if (controller.signal.aborted) return EXIT.interrupted;
    const { code, message } = describeFailure(err);
    io.err(`entra-auth: ${message}\n`);
    return code;
  }
  // The Ctrl-C handler stays until the process exits: a second signal must still end it with
  // 130 rather than by the signal (Deno's child_process may deliver a kill twice).
}

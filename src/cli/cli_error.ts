/**
 * The command line's exit codes and its own error type, with no imports: the token fast path
 * raises them without loading the library's error classes (`exit_codes.ts` turns any error
 * into a code and a message).
 *
 * @module
 */

/** Documented exit codes (README, `entra-auth --help`). */
export const EXIT = {
  /** Success. */
  ok: 0,
  /** Anything not listed below. */
  failure: 1,
  /** Wrong flags or arguments. */
  usage: 2,
  /** Sign-in needed but not allowed (`--no-interactive`, or kubectl said it cannot prompt). */
  interactionRequired: 3,
  /** `--broker on` and the broker cannot be used. */
  brokerUnavailable: 4,
  /** The token cache or keyring cannot be used. */
  cache: 5,
  /** The network or the identity provider failed. */
  network: 6,
  /** The config file is wrong. */
  config: 7,
  /** The user canceled the sign-in, or a time limit ran out. */
  canceled: 8,
  /** `doctor` found something that blocks sign-in. */
  doctorFailed: 9,
  /** Interrupted (Ctrl-C). */
  interrupted: 130,
} as const;

/** A failure of the command line itself, with the exit code it ends in. */
export class CliError extends Error {
  /** The exit code. */
  readonly exitCode: number;

  /**
   * @param exitCode one of {@link EXIT}
   * @param message one line: what happened and what to do
   */
  constructor(exitCode: number, message: string) {
    super(message);
    this.exitCode = exitCode;
    this.name = "CliError";
  }
}

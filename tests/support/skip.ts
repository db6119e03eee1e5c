/**
 * Skips that say so: runners print a skipped suite as one quiet line ("ignored", "skip")
 * or not at all, so a suite skipped for a missing prerequisite also writes a warning to
 * stderr that names the reason and what to run instead.
 *
 * @module
 */

import process from "node:process";

/**
 * Warns on stderr that a suite is skipped, and returns the reason for `{ skip }`.
 *
 * @param reason why, and how to run it
 * @returns the reason
 * @example
 * ```ts
 * import { describe } from "node:test";
 * import { loudSkip } from "./skip.ts";
 * describe("needs a keyring", { skip: loudSkip("run under scripts/with-broker.sh") }, () => {});
 * ```
 */
export function loudSkip(reason: string): string {
  process.stderr.write(`\n*** SKIPPED: ${reason}\n\n`);
  return reason;
}

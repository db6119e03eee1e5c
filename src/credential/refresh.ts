/**
 * When a credential's caller should ask for a new token.
 *
 * @module
 */

const TWO_HOURS = 2 * 3600_000;
const FIVE_MINUTES = 5 * 60_000;
/** The smallest distance into the future of a refresh time (the SDK asks again after it). */
export const MIN_REFRESH_DELAY_MS = 1_000;

/**
 * The refresh time of a token: half its remaining life for long tokens (as MSAL does), five
 * minutes before expiry for shorter ones but never before half-life, and always at least
 * {@link MIN_REFRESH_DELAY_MS} after `now`, so that a pipeline never asks again at once.
 *
 * @param expiresOn when the token expires, ms since the epoch
 * @param now the current time, ms since the epoch
 * @returns the refresh time, ms since the epoch, strictly after `now`
 * @example
 * ```ts
 * refreshAfter(Date.now() + 3_600_000, Date.now()); // 55 minutes from now
 * ```
 */
export function refreshAfter(expiresOn: number, now: number): number {
  const remaining = expiresOn - now;
  const after = remaining >= TWO_HOURS
    ? remaining / 2
    : Math.max(remaining - FIVE_MINUTES, remaining / 2);
  return now + Math.max(MIN_REFRESH_DELAY_MS, Math.floor(after));
}

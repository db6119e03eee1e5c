/**
 * The one failure type of the keyring bindings, kept free of any policy: the persistent
 * cache turns it into its own error with advice.
 *
 * @module
 */

/**
 * `unavailable`: no keyring could be reached; `locked`: the keyring (its collection) is
 * locked and was not unlocked; `failed`: the keyring refused the operation.
 */
export type KeyringFailureKind = "unavailable" | "locked" | "failed";

/**
 * A keyring operation failed.
 *
 * @example
 * ```ts
 * import { KeyringFailure } from "./failure.ts";
 * const err = new KeyringFailure("unavailable", "no Secret Service on the session bus");
 * console.log(err.kind);
 * ```
 */
export class KeyringFailure extends Error {
  /** Whether the keyring was unreachable or refused. */
  readonly kind: KeyringFailureKind;

  /**
   * @param kind unreachable or refused
   * @param message the native error's text
   * @param options the cause
   */
  constructor(kind: KeyringFailureKind, message: string, options?: { cause?: unknown; }) {
    super(message, options);
    this.kind = kind;
    this.name = "KeyringFailure";
  }
}

/** A place that keeps small secrets for the current user (the OS keyring). */
export interface SecretStore {
  /** What backs it, for messages: `Secret Service (libsecret)`, `macOS Keychain`, … */
  readonly description: string;
  /**
   * Reads the secret stored under `account` (within the store's service).
   *
   * @returns the secret, or undefined when there is none
   */
  lookup(account: string): Promise<string | undefined>;
  /** Stores (or replaces) the secret under `account`. */
  store(account: string, label: string, secret: string): Promise<void>;
  /** Removes the secret under `account`; resolves whether there was one. */
  clear(account: string): Promise<boolean>;
}

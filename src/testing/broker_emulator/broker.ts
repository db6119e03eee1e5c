/**
 * The emulated broker's behaviour: turns a `com.microsoft.identity.Broker1` request JSON into
 * the reply JSON, keeping which users are signed in (and consented) in memory.
 *
 * @module
 */

import type { BrokerErrorFields } from "./faults.ts";
import { clientInfoFor, type PopBinding, type TokenMinter } from "./tokens.ts";
import type { EmulatedUser } from "./users.ts";

/**
 * Broker methods answered with a JSON reply (all take `(sss)` and return `s`).
 *
 * @example
 * ```ts
 * BROKER_METHODS.includes("getAccounts"); // true
 * ```
 */
export const BROKER_METHODS: readonly string[] = [
  "getAccounts",
  "acquireTokenSilently",
  "acquireTokenInteractively",
  "removeAccount",
  "getLinuxBrokerVersion",
  "acquirePrtSsoCookie",
  "generateSignedHttpRequest",
  "cancelInteractiveFlow",
];

/**
 * Version reported by `getLinuxBrokerVersion`.
 *
 * @example
 * ```ts
 * const reply = { linuxBrokerVersion: EMULATED_BROKER_VERSION };
 * ```
 */
export const EMULATED_BROKER_VERSION = "2.0.1-emulator";

/**
 * A user together with its in-memory session state.
 *
 * @example
 * ```ts
 * const signedIn = broker.states.filter((s: UserState) => s.signedIn);
 * ```
 */
export interface UserState {
  /** The user. */
  user: EmulatedUser;
  /** Whether the broker holds a session for them. */
  signedIn: boolean;
  /** Consented client ids, or `null` for every client. */
  consentedClients: string[] | null;
}

/**
 * Builds the broker error reply: `{"brokerTokenResponse":{"error":{…}}}`.
 *
 * @example
 * ```ts
 * brokerError({ status: 2, context: "interaction required" });
 * ```
 */
export function brokerError(fields: BrokerErrorFields): unknown {
  return {
    brokerTokenResponse: {
      error: {
        context: fields.context ?? "",
        errorCode: fields.errorCode ?? 0,
        status: fields.status,
        subStatus: fields.subStatus ?? 0,
        tag: fields.tag ?? 0,
      },
    },
  };
}

/**
 * The account object as the broker serialises it.
 *
 * @example
 * ```ts
 * accountJson(resolveUsers(DEFAULT_USERS)[0]!).homeAccountId;
 * ```
 */
export function accountJson(user: EmulatedUser): Record<string, unknown> {
  return {
    environment: "login.microsoftonline.com",
    givenName: user.givenName,
    familyName: user.familyName,
    homeAccountId: `${user.oid}.${user.tenantId}`,
    localAccountId: user.oid,
    name: user.name,
    passwordExpiry: 0,
    realm: user.tenantId,
    username: user.username,
  };
}

type Json = Record<string, unknown>;

function obj(value: unknown): Json | undefined {
  return value !== null && typeof value === "object" && !Array.isArray(value)
    ? value as Json
    : undefined;
}

function str(value: unknown): string {
  return typeof value === "string" ? value : "";
}

const INTERACTION_TAG = 0x1e4a3d2;

/**
 * In-memory broker: users, sessions, consent, and the reply for each method.
 *
 * @example
 * ```ts
 * const broker = new EmulatedBroker(resolveUsers(DEFAULT_USERS), new TokenMinter());
 * broker.handle("getAccounts", { clientId: "c", redirectUri: "r" });
 * ```
 */
export class EmulatedBroker {
  #states: UserState[] = [];
  readonly #minter: TokenMinter;

  /**
   * @param users Users and their initial sign-in state.
   * @param minter Token minter holding the signing keys.
   */
  /**
   * Creates an EmulatedBroker.
   *
   * @param users the users it knows
   * @param minter signs the tokens it issues
   */
  constructor(users: readonly EmulatedUser[], minter: TokenMinter) {
    this.#minter = minter;
    this.setUsers(users);
  }

  /** Replaces every user; sessions restart from each user's `signedIn`. */
  setUsers(users: readonly EmulatedUser[]): void {
    this.#states = users.map((user) => ({
      user,
      signedIn: user.signedIn,
      consentedClients: user.consentedClients ? [...user.consentedClients] : null,
    }));
  }

  /** Current users and session state. */
  get states(): readonly UserState[] {
    return this.#states;
  }

  /** Finds a user by username (case-insensitive), home or local account id. */
  find(key: string): UserState | undefined {
    const k = key.toLowerCase();
    return this.#states.find(({ user }) =>
      user.username.toLowerCase() === k || user.oid === k
      || `${user.oid}.${user.tenantId}` === k
    );
  }

  /** Marks a user signed in or out; returns false when the user is unknown. */
  setSignedIn(key: string, signedIn: boolean): boolean {
    const state = this.find(key);
    if (state) state.signedIn = signedIn;
    return state !== undefined;
  }

  /** Computes the reply JSON for one broker method call. */
  handle(method: string, request: unknown): unknown {
    const req = obj(request) ?? {};
    switch (method) {
      case "getAccounts":
        return { accounts: this.#states.filter((s) => s.signedIn).map((s) => accountJson(s.user)) };
      case "acquireTokenSilently":
        return this.#silent(req);
      case "acquireTokenInteractively":
        return this.#interactive(req);
      case "removeAccount": {
        const state = this.#forAccount(obj(req.account), str(req.username));
        if (state) state.signedIn = false;
        return {};
      }
      case "getLinuxBrokerVersion":
        return { linuxBrokerVersion: EMULATED_BROKER_VERSION };
      case "acquirePrtSsoCookie":
        return this.#ssoCookie(req);
      case "generateSignedHttpRequest":
        return this.#signedHttpRequest(req);
      case "cancelInteractiveFlow":
        return {};
      default:
        return brokerError({ status: 6, context: `Unsupported broker method ${method}` });
    }
  }

  #forAccount(account: Json | undefined, username: string): UserState | undefined {
    const home = str(account?.homeAccountId);
    const local = str(account?.localAccountId);
    return (home && this.find(home)) || (local && this.find(local))
      || (username ? this.find(username) : undefined) || undefined;
  }

  #silent(req: Json): unknown {
    const ap = obj(req.authParameters);
    if (!ap || !str(ap.clientId)) {
      return brokerError({ status: 6, context: "authParameters.clientId is required" });
    }
    const account = obj(ap.account);
    const username = str(ap.username);
    // With no account and no username (several accounts, or getAccounts failed) the library
    // asks for the broker's default account: the first signed-in user.
    const state = account || username
      ? this.#forAccount(account, username)
      : this.#states.find((s) => s.signedIn);
    if (!state || !state.signedIn) {
      return brokerError({
        status: 2,
        errorCode: 0,
        tag: INTERACTION_TAG,
        context: "No broker session for this account; interaction required",
      });
    }
    const clientId = str(ap.clientId);
    if (state.consentedClients && !state.consentedClients.includes(clientId)) {
      return brokerError({
        status: 2,
        errorCode: 65001,
        subStatus: 0,
        tag: INTERACTION_TAG,
        context:
          `AADSTS65001: The user or administrator has not consented to use the application with ID '${clientId}'.`,
      });
    }
    return this.#success(state.user, ap);
  }

  #interactive(req: Json): unknown {
    const ap = obj(req.authParameters);
    if (!ap || !str(ap.clientId)) {
      return brokerError({ status: 6, context: "authParameters.clientId is required" });
    }
    const state = this.#forAccount(obj(ap.account), str(ap.username)) ?? this.#states[0];
    if (!state) return brokerError({ status: 7, context: "No user to sign in" });
    state.signedIn = true;
    const clientId = str(ap.clientId);
    if (state.consentedClients && !state.consentedClients.includes(clientId)) {
      state.consentedClients.push(clientId);
    }
    return this.#success(state.user, ap);
  }

  #success(user: EmulatedUser, ap: Json): unknown {
    const scopes = Array.isArray(ap.requestedScopes)
      ? ap.requestedScopes.map(String)
      : str(ap.requestedScopes).split(" ").filter(Boolean);
    const extra = obj(ap.additionalQueryParametersForAuthorization);
    const nonce = str(ap.nonce) || str(extra?.nonce);
    const tokens = this.#minter.mint({
      user,
      clientId: str(ap.clientId),
      scopes,
      nonce: nonce || undefined,
      clientCapabilities: capabilities(str(ap.decodedClaims)),
      pop: popBinding(ap.popParams),
    });
    return {
      brokerTokenResponse: {
        accessToken: tokens.accessToken,
        accessTokenType: tokens.accessTokenType,
        account: accountJson(user),
        clientInfo: clientInfoFor(user),
        expiresOn: tokens.expiresOn,
        extendedExpiresOn: tokens.extendedExpiresOn,
        grantedScopes: scopes.join(" "),
        idToken: tokens.idToken,
      },
    };
  }

  #ssoCookie(req: Json): unknown {
    const state = this.#forAccount(obj(req.account), str(req.username));
    if (!state?.signedIn) {
      return brokerError({ status: 2, tag: INTERACTION_TAG, context: "No broker session" });
    }
    const now = Math.floor(Date.now() / 1000);
    const cookie = this.#minter.signWithIdKey({
      refresh_token: `emulated-prt-${state.user.oid}`,
      is_primary: "true",
      iat: now,
      request_nonce: str(req.ssoUrl).match(/sso_nonce=([^&]+)/)?.[1] ?? "",
    });
    return { cookieName: "x-ms-RefreshTokenCredential", cookieContent: cookie };
  }

  #signedHttpRequest(req: Json): unknown {
    const ap = obj(req.authParameters) ?? req;
    const pop = popBinding(ap.popParams ?? req.popParams);
    if (!pop) return brokerError({ status: 6, context: "popParams are required" });
    const state = this.#forAccount(obj(req.account) ?? obj(ap.account), str(ap.username));
    if (!state?.signedIn) {
      return brokerError({ status: 2, tag: INTERACTION_TAG, context: "No broker session" });
    }
    const minted = this.#minter.mint({
      user: state.user,
      clientId: str(ap.clientId),
      scopes: [],
      pop,
    });
    return { signedHttpRequest: minted.accessToken };
  }
}

function popBinding(value: unknown): PopBinding | undefined {
  const p = obj(value);
  if (!p) return undefined;
  return {
    httpMethod: str(p.httpMethod),
    uriHost: str(p.uriHost),
    uriPath: str(p.uriPath),
    nonce: str(p.nonce),
  };
}

function capabilities(decodedClaims: string): string[] | undefined {
  if (!decodedClaims) return undefined;
  try {
    const claims = JSON.parse(decodedClaims);
    const values = claims?.access_token?.xms_cc?.values;
    return Array.isArray(values) ? values.map(String) : undefined;
  } catch {
    return undefined;
  }
}

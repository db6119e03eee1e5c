/**
 * Public configuration and data types of the Entra ID emulator.
 *
 * @module
 */

/** A user the emulator can sign in. */
export interface EmulatorUser {
  /** Object id (the `oid` claim and `uid` of `client_info`). */
  oid: string;
  /** Home tenant id (the `tid` claim and `utid` of `client_info`). */
  tid: string;
  /** Sign-in name (`preferred_username`), e.g. `alice@contoso.onmicrosoft.com`. */
  username: string;
  /** Display name (`name`). */
  name: string;
  /** Password checked by the login form and the password grant; when absent any password is accepted by the form and the password grant is refused. */
  password?: string;
}

/** A registered application (an app registration in Entra). */
export interface EmulatorApp {
  /** Application (client) id. */
  clientId: string;
  /** Display name shown on the consent and device pages. */
  name?: string;
  /** Registered redirect URIs. Loopback `http://localhost` / `http://127.0.0.1` URIs match any port. */
  redirectUris: string[];
  /** Public client (no secret; PKCE required at authorize). Default `true`. */
  isPublicClient?: boolean;
  /** Client secret for confidential clients. */
  clientSecret?: string;
  /** FOCI family id (Entra uses `"1"`); family apps get `foci` and can redeem each other's refresh tokens. */
  familyId?: string;
  /** When true, users must consent (interactive consent page) before the first token. Default `false`. */
  requireConsent?: boolean;
}

/** A directory (tenant). */
export interface EmulatorTenant {
  /** Tenant id (GUID). */
  id: string;
  /** Domain names that address this tenant in authority URLs, e.g. `contoso.onmicrosoft.com`. */
  domains?: string[];
}

/** One sovereign cloud as instance discovery reports it. */
export interface EmulatorCloud {
  /** Host used for network calls, e.g. `login.microsoftonline.com`. */
  preferredNetwork: string;
  /** Host MSAL uses as the cache `environment`, e.g. `login.windows.net`. */
  preferredCache: string;
  /** Every host name of this cloud (including the two above). */
  aliases: string[];
  /** `cloud_instance_name` in OIDC metadata, e.g. `microsoftonline.com`. */
  instanceName: string;
  /** `msgraph_host` in OIDC metadata, e.g. `graph.microsoft.com`. */
  graphHost: string;
}

/** Token and code lifetimes, in seconds. */
export interface EmulatorLifetimes {
  /** Access token lifetime (`expires_in`). Default 3599. */
  accessToken?: number;
  /** `ext_expires_in`. Default equal to `accessToken`. */
  extendedAccessToken?: number;
  /** `refresh_in` to send; `0` omits it. Default 0. */
  refreshIn?: number;
  /** ID token lifetime. Default 3600. */
  idToken?: number;
  /** Refresh token inactivity lifetime. Default 90 days. */
  refreshToken?: number;
  /** Authorization code lifetime. Default 600. */
  authorizationCode?: number;
  /** Device code lifetime (`expires_in` of the devicecode reply). Default 900. */
  deviceCode?: number;
  /** Device code polling interval. Default 5. */
  deviceCodeInterval?: number;
}

/** A source of the current time in epoch milliseconds. */
export interface EmulatorClock {
  /** Current time in epoch milliseconds. */
  now(): number;
}

/** Options of {@link createEntraEmulator}. All are optional; defaults give one tenant, one user and one public client. */
export interface EntraEmulatorOptions {
  /** Directories. Default: one tenant `TEST_TENANT_ID` with domain `contoso.onmicrosoft.com`. */
  tenants?: EmulatorTenant[];
  /** Users. Default: one user `alice@contoso.onmicrosoft.com` (password `password`). */
  users?: EmulatorUser[];
  /** Registered apps. Default: one public client `TEST_CLIENT_ID` with loopback redirect URIs. */
  apps?: EmulatorApp[];
  /** Clouds served. Default: public, China, Germany, US Government and `login-us`. */
  clouds?: EmulatorCloud[];
  /** Host used when the request path does not name one. Default `login.microsoftonline.com`. */
  defaultHost?: string;
  /** Token lifetimes. */
  lifetimes?: EmulatorLifetimes;
  /** Clock. Default `Date.now`. `advanceTime()` adds an offset on top of it. */
  clock?: EmulatorClock;
  /** Revoke a refresh token once it has been redeemed (strict rotation). Default `false`, as Entra. */
  revokeRedeemedRefreshTokens?: boolean;
  /** Answer `slow_down` (and add 5 s to the interval) when a device code is polled faster than its interval. Default `false`: Entra does not enforce it. */
  deviceCodeSlowDown?: boolean;
  /** Sign in automatically at authorize when `login_hint` names a known user. Default `true`. */
  autoLogin?: boolean;
  /** Maximum number of request log entries kept. Default 1000. */
  requestLogLimit?: number;
}

/** The endpoints faults can target. */
export type EmulatorEndpoint =
  | "instance_discovery"
  | "openid_configuration"
  | "jwks"
  | "authorize"
  | "token"
  | "devicecode"
  | "logout";

/** Which requests a fault applies to. */
export interface FaultMatch {
  /** Endpoint; absent matches every protocol endpoint. */
  endpoint?: EmulatorEndpoint;
  /** `grant_type` of a token request, e.g. `refresh_token`. */
  grantType?: string;
  /** `client_id` of the request. */
  clientId?: string;
}

/** An AADSTS error reply (JSON at the token-like endpoints, an error redirect at authorize). */
export interface ErrorFault {
  /** Answer with an OAuth error (AADSTS). */
  kind: "error";
  /** OAuth error, e.g. `invalid_grant`, `interaction_required`. */
  error: string;
  /** AADSTS number; a default per `error` when absent. */
  code?: number;
  /** Text after `AADSTSnnn: `; a default per `error` when absent. */
  description?: string;
  /** `suberror`, e.g. `basic_action`. */
  suberror?: string;
  /** `claims` challenge (a JSON string). */
  claims?: string;
  /** HTTP status; 400 by default (401 for `invalid_client`). */
  status?: number;
}

/** A throttling or outage reply: 429/5xx with `Retry-After`. */
export interface StatusFault {
  /** Answer with this HTTP status. */
  kind: "status";
  /** HTTP status, e.g. 429 or 503. */
  status: number;
  /** `Retry-After` seconds; omitted when absent. */
  retryAfter?: number;
}

/** A 200 reply whose JSON body cannot be parsed. */
export interface MalformedJsonFault {
  /** Answer with a body that is not JSON. */
  kind: "malformed_json";
}

/** The real reply with its body cut in half (over a socket: announced length longer than sent). */
export interface TruncatedFault {
  /** Answer with a cut-off body. */
  kind: "truncated";
}

/** The real reply, sent late. */
export interface DelayFault {
  /** Answer after a delay. */
  kind: "delay";
  /** Delay in milliseconds. */
  ms: number;
}

/** What a fault does. */
export type FaultAction =
  | ErrorFault
  | StatusFault
  | MalformedJsonFault
  | TruncatedFault
  | DelayFault;

/** A fault to inject: an action, the requests it matches, and how many times it fires. */
export type FaultSpec = FaultAction & {
  /** Requests it applies to. */
  match?: FaultMatch;
  /** Number of times it fires; default 1. Use `Infinity` (API) or `-1` (control endpoint) for always. */
  times?: number;
  /** Extra delay in milliseconds before replying (any kind). */
  delayMs?: number;
};

/** A fault as registered, with its id and remaining count. */
export type RegisteredFault = FaultSpec & {
  /** Id to remove it with. */
  id: string;
  /** Times left to fire. */
  remaining: number;
};

/** One request seen by the emulator. */
export interface RequestLogEntry {
  /** Epoch milliseconds (emulator clock). */
  time: number;
  /** HTTP method. */
  method: string;
  /** URL path. */
  path: string;
  /** Protocol endpoint, when the path is one. */
  endpoint?: EmulatorEndpoint;
  /** Emulated host the request addressed. */
  host?: string;
  /** Tenant segment of the path. */
  tenant?: string;
  /** Query parameters. */
  query: Record<string, string>;
  /** Form body parameters (form-encoded requests only). */
  form: Record<string, string>;
  /** Headers of interest (lower-case names): `client-request-id`, `x-client-*`, `x-ms-lib-capability`, `x-anchormailbox`, `content-type`. */
  headers: Record<string, string>;
  /** MSAL telemetry merged from headers, query and body (lower-case names). */
  telemetry: Record<string, string>;
  /** Correlation id used in the reply. */
  correlationId: string;
  /** Response status. */
  status: number;
  /** Id of the fault applied, if any. */
  faultId?: string;
}

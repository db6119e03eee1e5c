/**
 * Emulated users: configuration shape, defaults and validation.
 *
 * @module
 */

/**
 * One user as configured (a users file holds an array of these, or `{ "users": [...] }`).
 *
 * @example
 * ```ts
 * const user: EmulatedUserConfig = { username: "a@contoso.example", givenName: "A", signedIn: false };
 * ```
 */
export interface EmulatedUserConfig {
  /** UPN / `preferred_username`, e.g. `testuser@contoso.example`. */
  username: string;
  /** Directory tenant id (GUID); default the Contoso test tenant. */
  tenantId?: string;
  /** Object id (GUID); default derived from the username. */
  oid?: string;
  /** Display name; default from given and family names or the username. */
  name?: string;
  /** Given name. */
  givenName?: string;
  /** Family name. */
  familyName?: string;
  /** Whether the broker holds a session for the user at start (default true). */
  signedIn?: boolean;
  /** Client ids the user has consented to; omitted = every client. */
  consentedClients?: string[];
  /** Access token lifetime in seconds (default 3600). */
  tokenLifetimeSeconds?: number;
}

/**
 * A fully resolved user.
 *
 * @example
 * ```ts
 * const [user]: EmulatedUser[] = resolveUsers([{ username: "a@contoso.example" }]);
 * ```
 */
export interface EmulatedUser {
  /** UPN. */
  username: string;
  /** Tenant id. */
  tenantId: string;
  /** Object id. */
  oid: string;
  /** Display name. */
  name: string;
  /** Given name. */
  givenName: string;
  /** Family name. */
  familyName: string;
  /** Signed in at start. */
  signedIn: boolean;
  /** Consented client ids, or `undefined` for all. */
  consentedClients: string[] | undefined;
  /** Access token lifetime in seconds. */
  tokenLifetimeSeconds: number;
}

/**
 * The tenant of the default users (same as the captured samples).
 *
 * @example
 * ```ts
 * resolveUsers([{ username: "a@contoso.example" }])[0]!.tenantId === DEFAULT_TENANT_ID; // true
 * ```
 */
export const DEFAULT_TENANT_ID = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";

/**
 * The users served when none are configured: the sample's signed-in user, a second user of
 * the same tenant who is signed out, and a user of another tenant who is signed out.
 *
 * @example
 * ```ts
 * const first = DEFAULT_USERS[0]!.username; // "testuser@contoso.example"
 * ```
 */
export const DEFAULT_USERS: readonly EmulatedUserConfig[] = [
  {
    username: "testuser@contoso.example",
    oid: "11111111-aaaa-bbbb-cccc-000000000001",
    givenName: "Test",
    familyName: "User",
  },
  {
    username: "adele@contoso.example",
    oid: "11111111-aaaa-bbbb-cccc-000000000002",
    givenName: "Adele",
    familyName: "Vance",
    signedIn: false,
  },
  {
    username: "megan@fabrikam.example",
    tenantId: "ffffffff-1111-2222-3333-444444444444",
    oid: "22222222-aaaa-bbbb-cccc-000000000003",
    givenName: "Megan",
    familyName: "Bowen",
    signedIn: false,
  },
];

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function guidFrom(text: string): string {
  let h = 0x811c9dc5;
  const hex: string[] = [];
  for (let round = 0; round < 4; round++) {
    for (const ch of `${round}:${text}`) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
    hex.push(h.toString(16).padStart(8, "0"));
  }
  const s = hex.join("");
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${
    s.slice(20, 32)
  }`;
}

function optionalString(value: unknown, field: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string") throw new TypeError(`User field "${field}" must be a string`);
  return value;
}

/**
 * Validates user configuration (an array or `{ users: [...] }`) and fills in defaults.
 *
 * @param input Parsed JSON.
 * @returns The resolved users.
 * @throws {TypeError} When the input is not a list of users with unique usernames.
 * @example
 * ```ts
 * const users = resolveUsers([{ username: "a@contoso.example" }]);
 * ```
 */
export function resolveUsers(input: unknown): EmulatedUser[] {
  const list = Array.isArray(input)
    ? input
    : (input as { users?: unknown; } | null)?.users;
  if (!Array.isArray(list) || list.length === 0) {
    throw new TypeError("Users must be a non-empty array (or { \"users\": [...] })");
  }
  const seen = new Set<string>();
  return list.map((raw: unknown, index) => {
    if (raw === null || typeof raw !== "object") throw new TypeError(`User ${index} not an object`);
    const u = raw as Record<string, unknown>;
    const username = optionalString(u.username, "username");
    if (!username) throw new TypeError(`User ${index} has no username`);
    if (seen.has(username.toLowerCase())) throw new TypeError(`Duplicate user ${username}`);
    seen.add(username.toLowerCase());
    const tenantId = optionalString(u.tenantId, "tenantId") ?? DEFAULT_TENANT_ID;
    const oid = optionalString(u.oid, "oid") ?? guidFrom(username);
    if (!GUID.test(tenantId) || !GUID.test(oid)) {
      throw new TypeError(`User ${username}: tenantId and oid must be GUIDs`);
    }
    const local = username.split("@")[0]!;
    const givenName = optionalString(u.givenName, "givenName") ?? local;
    const familyName = optionalString(u.familyName, "familyName") ?? "";
    const name = optionalString(u.name, "name") ?? `${givenName} ${familyName}`.trim();
    const consented = u.consentedClients;
    if (consented !== undefined && !Array.isArray(consented)) {
      throw new TypeError(`User ${username}: consentedClients must be an array`);
    }
    const lifetime = u.tokenLifetimeSeconds ?? 3600;
    if (typeof lifetime !== "number" || !(lifetime > 0)) {
      throw new TypeError(`User ${username}: tokenLifetimeSeconds must be a positive number`);
    }
    return {
      username,
      tenantId: tenantId.toLowerCase(),
      oid: oid.toLowerCase(),
      name,
      givenName,
      familyName,
      signedIn: u.signedIn !== false,
      consentedClients: consented?.map(String),
      tokenLifetimeSeconds: lifetime,
    };
  });
}

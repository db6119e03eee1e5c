/**
 * The Entra ID v2.0 emulator: configuration, state, routing, faults and the request log.
 *
 * @module
 */

import { AadError } from "./aad_error.ts";
import { resolveConfig, type ResolvedConfig } from "./config.ts";
import { param, parseRequest } from "./context.ts";
import { handleControl } from "./control.ts";
import { type EmulatorCore, findUser } from "./core.ts";
import { decideDeviceCode } from "./device_page.ts";
import { randomToken } from "./encoding.ts";
import { faultError, FaultRegistry, faultReply, parseFaultSpec, truncate } from "./faults.ts";
import { type EmulatorJwk, generateSigningKey, type SigningKey } from "./jwt.ts";
import { type EmulatorServer, listen, type ListenOptions } from "./listen.ts";
import { RequestLog } from "./request_log.ts";
import { errorResponse } from "./respond.ts";
import { authorizeFaultReply, routeRequest } from "./router.ts";
import { SESSION_COOKIE } from "./sign_in.ts";
import { EmulatorStore } from "./store.ts";
import type {
  EmulatorApp,
  EmulatorCloud,
  EmulatorTenant,
  EmulatorUser,
  EntraEmulatorOptions,
  FaultSpec,
  RegisteredFault,
  RequestLogEntry,
} from "./types.ts";

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A snapshot of the emulator's configuration (served on `GET /_emulator`). */
export interface EmulatorDescription {
  /** The tenants. */
  tenants: EmulatorTenant[];
  /** The users (with their passwords). */
  users: EmulatorUser[];
  /** The registered apps. */
  apps: EmulatorApp[];
  /** The clouds instance discovery knows. */
  clouds: EmulatorCloud[];
  /** The host of the public cloud (`login.microsoftonline.com`). */
  defaultHost: string;
  /** The emulator's clock, epoch ms. */
  now: number;
}

/**
 * An Entra ID v2.0 emulator. Use {@link EntraEmulator.handle} / {@link EntraEmulator.fetch}
 * as a custom `fetch`, or {@link EntraEmulator.listen} to serve it on 127.0.0.1.
 */
export class EntraEmulator {
  readonly #config: ResolvedConfig;
  readonly #store = new EmulatorStore();
  readonly #faults = new FaultRegistry();
  readonly #log: RequestLog;
  readonly #core: EmulatorCore;
  #key?: Promise<SigningKey>;
  #offsetMs = 0;

  /**
   * @param options Tenants, users, apps, clouds, lifetimes, clock and behaviour switches.
   * @throws {TypeError} When `defaultHost` is not a configured cloud alias.
   * @example
   * ```ts
   * import { EntraEmulator } from "./emulator.ts";
   * const emulator = new EntraEmulator({});
   * ```
   */
  /**
   * Creates an EntraEmulator.
   *
   * @param options tenants, users, apps, clouds, lifetimes; defaults for each
   */
  constructor(options: EntraEmulatorOptions = {}) {
    this.#config = resolveConfig(options);
    this.#log = new RequestLog(this.#config.requestLogLimit);
    this.#core = {
      config: this.#config,
      store: this.#store,
      signingKey: () => (this.#key ??= generateSigningKey()),
    };
  }

  /**
   * Current emulator time: the clock plus any {@link EntraEmulator.advanceTime} offset.
   *
   * @returns Epoch milliseconds.
   * @example
   * ```ts
   * import { EntraEmulator } from "./emulator.ts";
   * console.log(new EntraEmulator().now());
   * ```
   */
  now(): number {
    return this.#config.clock.now() + this.#offsetMs;
  }

  /**
   * Moves the emulator clock forward (expire codes, tokens, device codes).
   *
   * @param seconds Seconds to add.
   * @example
   * ```ts
   * import { EntraEmulator } from "./emulator.ts";
   * new EntraEmulator().advanceTime(3600);
   * ```
   */
  advanceTime(seconds: number): void {
    this.#offsetMs += seconds * 1000;
  }

  /**
   * Answers one request as Entra would (the Web Fetch API handler).
   *
   * @param request The request.
   * @returns The reply.
   * @example
   * ```ts
   * import { EntraEmulator } from "./emulator.ts";
   * const emulator = new EntraEmulator();
   * const res = await emulator.handle(
   *   new Request("http://127.0.0.1/common/v2.0/.well-known/openid-configuration"),
   * );
   * ```
   */
  readonly handle: (request: Request) => Promise<Response> = async (request) => {
    const raw = new URL(request.url).pathname.split("/").filter((s) => s !== "");
    if (raw[0] === "_emulator") {
      const body = request.method === "GET" ? "" : await request.text();
      return handleControl(this, request.method.toUpperCase(), raw.slice(1), body);
    }
    const ctx = await parseRequest(this.#config, request, this.now());
    const route = routeRequest(this.#core, ctx);
    let res: Response;
    let faultId: string | undefined;
    try {
      const fault = route.endpoint
        ? this.#faults.take(route.endpoint, ctx.form["grant_type"], param(ctx, "client_id"))
        : undefined;
      faultId = fault?.id;
      if (fault?.delayMs) await sleep(fault.delayMs);
      if (fault?.kind === "delay") await sleep(fault.ms);
      const replaced = fault === undefined
        ? undefined
        : route.endpoint === "authorize" && fault.kind === "error"
        ? authorizeFaultReply(this.#core, ctx, faultError(fault))
        : faultReply(ctx, fault);
      res = replaced ?? await route.run();
      if (fault?.kind === "truncated") res = await truncate(res);
    } catch (err) {
      res = errorResponse(
        ctx,
        new AadError(
          "server_error",
          90000,
          `Emulator failure: ${err instanceof Error ? err.message : String(err)}`,
          {
            status: 500,
          },
        ),
      );
    }
    this.#log.record(ctx, route.endpoint, res.status, faultId);
    return res;
  };

  /**
   * `fetch`-compatible wrapper of {@link EntraEmulator.handle}, to inject as a custom fetch.
   *
   * @param input URL or request.
   * @param init Request options.
   * @returns The reply.
   * @example
   * ```ts
   * import { EntraEmulator } from "./emulator.ts";
   * const { fetch } = new EntraEmulator();
   * const res = await fetch("https://login.microsoftonline.com/common/discovery/v2.0/keys");
   * ```
   */
  readonly fetch: (input: string | URL | Request, init?: RequestInit) => Promise<Response> = (
    input,
    init,
  ) => this.handle(new Request(input, init));

  /**
   * Serves the emulator with `node:http` on a loopback address.
   *
   * @param options Port (default: a free one) and hostname (default `127.0.0.1`).
   * @returns `{ url, port, close() }`.
   * @throws {Error} When the port cannot be bound.
   * @example
   * ```ts
   * import { EntraEmulator } from "./emulator.ts";
   * const server = await new EntraEmulator().listen();
   * console.log(`${server.url}/login.microsoftonline.com/common`);
   * await server.close();
   * ```
   */
  listen(options: ListenOptions = {}): Promise<EmulatorServer> {
    return listen(this.handle, options);
  }

  /**
   * Arms a fault.
   *
   * @param spec The fault (validated; `times` defaults to 1).
   * @returns The registered fault with its `id`.
   * @throws {TypeError} For an invalid spec.
   * @example
   * ```ts
   * import { EntraEmulator } from "./emulator.ts";
   * new EntraEmulator().addFault({
   *   kind: "error", error: "invalid_grant", match: { endpoint: "token", grantType: "refresh_token" },
   * });
   * ```
   */
  addFault(spec: FaultSpec): RegisteredFault {
    return this.#faults.add(parseFaultSpec(spec));
  }

  /**
   * Disarms one fault.
   *
   * @param id The fault's id.
   * @returns Whether it was armed.
   * @example
   * ```ts
   * import { EntraEmulator } from "./emulator.ts";
   * new EntraEmulator().removeFault("abc");
   * ```
   */
  removeFault(id: string): boolean {
    return this.#faults.remove(id);
  }

  /**
   * Disarms every fault.
   *
   * @example
   * ```ts
   * import { EntraEmulator } from "./emulator.ts";
   * new EntraEmulator().clearFaults();
   * ```
   */
  clearFaults(): void {
    this.#faults.clear();
  }

  /**
   * The armed faults.
   *
   * @returns The faults with their remaining counts.
   * @example
   * ```ts
   * import { EntraEmulator } from "./emulator.ts";
   * console.log(new EntraEmulator().faults()); // []
   * ```
   */
  faults(): RegisteredFault[] {
    return this.#faults.list();
  }

  /**
   * The request log (protocol endpoints and pages; not `/_emulator`).
   *
   * @returns The entries, oldest first.
   * @example
   * ```ts
   * import { EntraEmulator } from "./emulator.ts";
   * console.log(new EntraEmulator().requests().length); // 0
   * ```
   */
  requests(): RequestLogEntry[] {
    return this.#log.entries();
  }

  /**
   * Empties the request log.
   *
   * @example
   * ```ts
   * import { EntraEmulator } from "./emulator.ts";
   * new EntraEmulator().clearRequests();
   * ```
   */
  clearRequests(): void {
    this.#log.clear();
  }

  /**
   * Approves a pending device code as `username` would on the verification page.
   *
   * @param userCode The user code.
   * @param username The approving user.
   * @throws {Error} For an unknown, expired or used code, an unknown user, or a user outside
   *   the device code's tenant.
   * @example
   * ```ts
   * import { EntraEmulator } from "./emulator.ts";
   * declare const userCode: string;
   * new EntraEmulator().approveDeviceCode(userCode, "alice@contoso.onmicrosoft.com");
   * ```
   */
  approveDeviceCode(userCode: string, username: string): void {
    this.#decide(userCode, "approve", username);
  }

  /**
   * Declines a pending device code.
   *
   * @param userCode The user code.
   * @throws {Error} For an unknown, expired or used code.
   * @example
   * ```ts
   * import { EntraEmulator } from "./emulator.ts";
   * declare const userCode: string;
   * new EntraEmulator().declineDeviceCode(userCode);
   * ```
   */
  declineDeviceCode(userCode: string): void {
    this.#decide(userCode, "decline");
  }

  #decide(userCode: string, decision: "approve" | "decline", username = ""): void {
    const record = this.#store.byUserCode(userCode);
    if (!record) throw new Error(`unknown user code ${userCode}`);
    const user = decision === "approve" ? findUser(this.#core, username) : undefined;
    const error = decideDeviceCode(record, decision, this.now(), user);
    if (error) throw new Error(error);
  }

  /**
   * Starts a browser session for a user (as if they had signed in), for `prompt=none` tests.
   *
   * @param username Username or oid.
   * @param authTime Sign-in time in epoch seconds; default now.
   * @returns A `Cookie` header value, e.g. `ESTSAUTH=…`.
   * @throws {Error} For an unknown user.
   * @example
   * ```ts
   * import { EntraEmulator } from "./emulator.ts";
   * const cookie = new EntraEmulator().signIn("alice@contoso.onmicrosoft.com");
   * ```
   */
  signIn(username: string, authTime?: number): string {
    const user = findUser(this.#core, username);
    if (!user) throw new Error(`unknown user ${username}`);
    const id = randomToken(24);
    this.#store.sessions.set(id, {
      id,
      accounts: new Map([[user.oid, authTime ?? Math.floor(this.now() / 1000)]]),
    });
    return `${SESSION_COOKIE}=${id}`;
  }

  /**
   * Revokes refresh tokens (e.g. password reset), for all users or one.
   *
   * @param username Username or oid; all users when absent.
   * @returns How many were revoked.
   * @example
   * ```ts
   * import { EntraEmulator } from "./emulator.ts";
   * new EntraEmulator().revokeRefreshTokens("alice@contoso.onmicrosoft.com");
   * ```
   */
  revokeRefreshTokens(username?: string): number {
    const oid = username !== undefined ? findUser(this.#core, username)?.oid : undefined;
    let n = 0;
    for (const record of this.#store.refreshTokens.values()) {
      if (!record.revoked && (username === undefined || record.oid === oid)) {
        record.revoked = true;
        n++;
      }
    }
    return n;
  }

  /**
   * The public signing keys, as served on the JWKS endpoint.
   *
   * @returns `{ keys }`.
   * @example
   * ```ts
   * import { EntraEmulator } from "./emulator.ts";
   * const { keys } = await new EntraEmulator().jwks();
   * ```
   */
  async jwks(): Promise<{ keys: EmulatorJwk[]; }> {
    return { keys: [(await this.#core.signingKey()).jwk] };
  }

  /**
   * The configuration in effect.
   *
   * @returns Tenants, users (with passwords), apps, clouds, default host, time.
   * @example
   * ```ts
   * import { EntraEmulator } from "./emulator.ts";
   * console.log(new EntraEmulator().describe().users[0].username);
   * ```
   */
  describe(): EmulatorDescription {
    const c = this.#config;
    return structuredClone({
      tenants: c.tenants,
      users: c.users,
      apps: c.apps,
      clouds: c.clouds,
      defaultHost: c.defaultHost,
      now: this.now(),
    });
  }
}

/**
 * Creates an Entra ID v2.0 emulator.
 *
 * @param options Tenants, users, apps, clouds, lifetimes, clock and behaviour switches.
 * @returns The emulator.
 * @throws {TypeError} When `defaultHost` is not a configured cloud alias.
 * @example
 * ```ts
 * import { createEntraEmulator } from "./emulator.ts";
 * const emulator = createEntraEmulator();
 * const server = await emulator.listen();
 * const authority = `${server.url}/login.microsoftonline.com/common`;
 * await server.close();
 * ```
 */
export function createEntraEmulator(options: EntraEmulatorOptions = {}): EntraEmulator {
  return new EntraEmulator(options);
}

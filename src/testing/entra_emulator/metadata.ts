/**
 * Discovery endpoints: instance discovery, OpenID Connect metadata and JWKS.
 *
 * @module
 */

import { AadError } from "./aad_error.ts";
import { CONSUMERS_TENANT_ID, findCloud } from "./config.ts";
import { locate, param, type RequestContext } from "./context.ts";
import type { EmulatorCore } from "./core.ts";
import { catchAad, json } from "./respond.ts";
import { tenantOf } from "./tenant.ts";

/**
 * Handles `GET /{tenant}/discovery/instance?api-version=1.1&authorization_endpoint=…`.
 * The authorization endpoint may be a real AAD URL (`https://login.windows.net/…`) or one of
 * the emulator's own URLs; `tenant_discovery_endpoint` always points at the emulator.
 *
 * @param core The emulator.
 * @param ctx The request.
 * @returns `{tenant_discovery_endpoint, "api-version", metadata}` or `invalid_instance`.
 * @example
 * ```ts
 * import { handleInstanceDiscovery } from "./metadata.ts";
 * declare const core: import("./core.ts").EmulatorCore;
 * declare const ctx: import("./context.ts").RequestContext;
 * const res = await handleInstanceDiscovery(core, ctx);
 * ```
 */
export function handleInstanceDiscovery(
  core: EmulatorCore,
  ctx: RequestContext,
): Promise<Response> {
  return catchAad(ctx, () => {
    const endpoint = param(ctx, "authorization_endpoint");
    if (endpoint === undefined) {
      throw new AadError(
        "invalid_request",
        900144,
        "The request body must contain the following parameter: 'authorization_endpoint'.",
      );
    }
    let target: URL;
    try {
      target = new URL(endpoint);
    } catch {
      throw new AadError("invalid_instance", 50049, "Unknown or invalid instance.");
    }
    let host: string;
    let tenant: string;
    if (target.origin === ctx.url.origin) {
      const at = locate(core.config, target);
      host = at.host;
      tenant = at.segments[0] ?? "common";
    } else {
      if (!findCloud(core.config, target.hostname)) {
        throw new AadError("invalid_instance", 50049, "Unknown or invalid instance.");
      }
      host = target.hostname.toLowerCase();
      tenant = target.pathname.split("/").filter((s) => s !== "")[0] ?? "common";
    }
    const real = findCloud(core.config, ctx.url.hostname);
    const base = real
      ? `${ctx.url.protocol}//${host}`
      : host === core.config.defaultHost && ctx.base === ctx.url.origin
      ? ctx.url.origin
      : `${ctx.url.origin}/${host}`;
    return json(ctx, {
      tenant_discovery_endpoint: `${base}/${tenant}/v2.0/.well-known/openid-configuration`,
      "api-version": "1.1",
      metadata: core.config.clouds.map((c) => ({
        preferred_network: c.preferredNetwork,
        preferred_cache: c.preferredCache,
        aliases: [...c.aliases],
      })),
    });
  });
}

/**
 * Handles `GET /{tenant}/v2.0/.well-known/openid-configuration`. For `common` and
 * `organizations` the issuer keeps Entra's `{tenantid}` template; `consumers` and named tenants
 * get their tenant id; endpoints use the emulator's own URLs.
 *
 * @param core The emulator.
 * @param ctx The request.
 * @returns The metadata, or `invalid_tenant`.
 * @example
 * ```ts
 * import { handleOpenIdConfiguration } from "./metadata.ts";
 * declare const core: import("./core.ts").EmulatorCore;
 * declare const ctx: import("./context.ts").RequestContext;
 * const res = await handleOpenIdConfiguration(core, ctx);
 * ```
 */
export function handleOpenIdConfiguration(
  core: EmulatorCore,
  ctx: RequestContext,
): Promise<Response> {
  return catchAad(ctx, () => {
    const ref = tenantOf(core, ctx);
    const pathTenant = ref.kind === "tenant" ? ref.tenant.id : ref.segment.toLowerCase();
    const issuerTenant = ref.kind === "tenant"
      ? ref.tenant.id
      : ref.kind === "consumers"
      ? CONSUMERS_TENANT_ID
      : "{tenantid}";
    const b = `${ctx.base}/${pathTenant}`;
    return json(ctx, {
      token_endpoint: `${b}/oauth2/v2.0/token`,
      token_endpoint_auth_methods_supported: [
        "client_secret_post",
        "private_key_jwt",
        "client_secret_basic",
      ],
      jwks_uri: `${b}/discovery/v2.0/keys`,
      response_modes_supported: ["query", "fragment", "form_post"],
      subject_types_supported: ["pairwise"],
      id_token_signing_alg_values_supported: ["RS256"],
      response_types_supported: ["code", "id_token", "code id_token", "id_token token"],
      scopes_supported: ["openid", "profile", "email", "offline_access"],
      issuer: `${ctx.issuerBase}/${issuerTenant}/v2.0`,
      request_uri_parameter_supported: false,
      userinfo_endpoint: `https://${ctx.cloud.graphHost}/oidc/userinfo`,
      authorization_endpoint: `${b}/oauth2/v2.0/authorize`,
      device_authorization_endpoint: `${b}/oauth2/v2.0/devicecode`,
      http_logout_supported: true,
      frontchannel_logout_supported: true,
      end_session_endpoint: `${b}/oauth2/v2.0/logout`,
      claims_supported: [
        "sub",
        "iss",
        "cloud_instance_name",
        "cloud_instance_host_name",
        "cloud_graph_host_name",
        "msgraph_host",
        "aud",
        "exp",
        "iat",
        "auth_time",
        "acr",
        "nonce",
        "preferred_username",
        "name",
        "tid",
        "ver",
        "at_hash",
        "c_hash",
        "email",
      ],
      code_challenge_methods_supported: ["plain", "S256"],
      kerberos_endpoint: `${b}/kerberos`,
      tenant_region_scope: null,
      cloud_instance_name: ctx.cloud.instanceName,
      cloud_graph_host_name: "graph.windows.net",
      msgraph_host: ctx.cloud.graphHost,
      rbac_url: "https://pas.windows.net",
    });
  });
}

/**
 * Handles `GET /{tenant}/discovery/v2.0/keys`: the public signing key.
 *
 * @param core The emulator.
 * @param ctx The request.
 * @returns `{keys: [jwk]}`.
 * @example
 * ```ts
 * import { handleJwks } from "./metadata.ts";
 * declare const core: import("./core.ts").EmulatorCore;
 * declare const ctx: import("./context.ts").RequestContext;
 * const res = await handleJwks(core, ctx);
 * ```
 */
export function handleJwks(core: EmulatorCore, ctx: RequestContext): Promise<Response> {
  return catchAad(ctx, async () => {
    tenantOf(core, ctx);
    const key = await core.signingKey();
    return json(ctx, { keys: [{ ...key.jwk, issuer: `${ctx.issuerBase}/{tenantid}/v2.0` }] });
  });
}

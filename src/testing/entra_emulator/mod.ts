/**
 * An Entra ID (Azure AD) v2.0 emulator for tests: instance discovery, OIDC metadata, JWKS,
 * authorize (with a login page and auto-login), token (authorization code + PKCE, refresh
 * with FOCI, device code, password), devicecode, logout, injectable faults and a request log.
 *
 * @example
 * ```ts
 * import { createEntraEmulator } from "@entra-auth/core/testing/entra-emulator"; // npm: "entra-auth-testing/entra-emulator"
 * const emulator = createEntraEmulator();
 * const server = await emulator.listen();
 * console.log(`${server.url}/login.microsoftonline.com/common`);
 * await server.close();
 * ```
 *
 * @module
 */

export { CONSUMERS_TENANT_ID, DEFAULT_CLOUDS, TEST_CLIENT_ID, TEST_TENANT_ID } from "./config.ts";
export { createEntraEmulator, type EmulatorDescription, EntraEmulator } from "./emulator.ts";
export type { EmulatorJwk } from "./jwt.ts";
export { type EmulatorServer, type ListenOptions } from "./listen.ts";
export type {
  DelayFault,
  EmulatorApp,
  EmulatorClock,
  EmulatorCloud,
  EmulatorEndpoint,
  EmulatorLifetimes,
  EmulatorTenant,
  EmulatorUser,
  EntraEmulatorOptions,
  ErrorFault,
  FaultAction,
  FaultMatch,
  FaultSpec,
  MalformedJsonFault,
  RegisteredFault,
  RequestLogEntry,
  StatusFault,
  TruncatedFault,
} from "./types.ts";

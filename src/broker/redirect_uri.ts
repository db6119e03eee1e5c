/**
 * The redirect URI the OS broker expects, per OS. The app registration must list it.
 *
 * @module
 */

/**
 * The redirect URI of the Linux broker (register it for the app).
 *
 * @example
 * ```ts
 * import { LINUX_BROKER_REDIRECT_URI } from "@entra-auth/core";
 * console.log(LINUX_BROKER_REDIRECT_URI);
 * ```
 */
export const LINUX_BROKER_REDIRECT_URI =
  "https://login.microsoftonline.com/common/oauth2/nativeclient";

/**
 * The broker redirect URI for an OS.
 *
 * @param os `linux`, `darwin` or `win32`
 * @param clientId the app's client id (Windows' URI contains it)
 * @param bundleId the macOS app's bundle id, when it has one
 * @returns the redirect URI to use and to register
 * @example
 * ```ts
 * import { brokerRedirectUri } from "@entra-auth/core";
 * brokerRedirectUri("win32", "00000000-0000-0000-0000-000000000001");
 * // "ms-appx-web://Microsoft.AAD.BrokerPlugin/00000000-0000-0000-0000-000000000001"
 * ```
 */
export function brokerRedirectUri(os: string, clientId: string, bundleId?: string): string {
  switch (os) {
    case "win32":
      return `ms-appx-web://Microsoft.AAD.BrokerPlugin/${clientId}`;
    case "darwin":
      return bundleId ? `msauth.${bundleId}://auth` : "msauth.com.msauth.unsignedapp://auth";
    default:
      return LINUX_BROKER_REDIRECT_URI;
  }
}

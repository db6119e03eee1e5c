/**
 * The loopback redirect URI of the interactive sign-in (RFC 8252 §7.3), as the app registered
 * it: `http://localhost` or `http://127.0.0.1`, optionally with a port and a path.
 *
 * @module
 */

import { EntraAuthError } from "../errors.ts";

/** Where the loopback server listens and what redirect URI to send. */
export interface LoopbackTarget {
  /** `localhost` or `127.0.0.1`, as registered. */
  hostname: string;
  port: number;
  /** The path the server answers on (`/` when the URI has none). */
  path: string;
  /**
   * What follows the host and port in the URI as registered, sent unchanged: `""` for
   * `http://localhost`, `"/"` for `http://localhost/`, `"/cb"` for `http://127.0.0.1/cb`.
   * Providers compare redirect URIs exactly, so a dropped or added slash is refused.
   */
  suffix: string;
}

/**
 * Reads the app's loopback redirect URI: host `localhost` or `127.0.0.1`, an optional fixed
 * port (0 when absent: the server picks one), an optional path.
 *
 * @param redirectUri e.g. `http://localhost` or `http://127.0.0.1:8400/callback`
 * @returns host, port, the path served, and the path as written (sent back unchanged)
 * @throws EntraAuthError `invalid_argument` for anything else
 * @example
 * ```ts
 * import { loopbackTarget } from "./redirect_uri.ts";
 * loopbackTarget("http://localhost"); // { hostname: "localhost", port: 0, path: "/", suffix: "" }
 * loopbackTarget("http://127.0.0.1:8765/").suffix; // "/"
 * ```
 */
export function loopbackTarget(redirectUri: string): LoopbackTarget {
  let url: URL;
  try {
    url = new URL(redirectUri);
  } catch (cause) {
    throw new EntraAuthError("invalid_argument", `redirectUri is not a URL: ${redirectUri}`, {
      cause,
    });
  }
  // The text after the host is sent back as written; a URI the parser reads as http://host
  // although it is not written so (`http:localhost/cb`, backslashes) would lose its path there
  // while the server answers on that path only, so the sign-in would wait out its time limit.
  const written = /^http:\/\/[^/\\]+(\/[^\\]*)?$/i.exec(redirectUri.trim());
  if (
    url.protocol !== "http:" || (url.hostname !== "localhost" && url.hostname !== "127.0.0.1")
    || url.search !== "" || url.hash !== "" || !written
  ) {
    throw new EntraAuthError(
      "invalid_argument",
      `redirectUri must be http://localhost or http://127.0.0.1 (optionally with a port and a `
        + `path): ${redirectUri}`,
    );
  }
  return {
    hostname: url.hostname,
    port: url.port === "" ? 0 : Number(url.port),
    path: url.pathname,
    suffix: written[1] ?? "",
  };
}

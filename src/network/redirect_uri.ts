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
  path: string;
  keepPath: boolean;
}

/**
 * Reads the app's loopback redirect URI: host `localhost` or `127.0.0.1`, an optional fixed
 * port (0 when absent: the server picks one), an optional path.
 *
 * @param redirectUri e.g. `http://localhost` or `http://127.0.0.1:8400/callback`
 * @returns host, port, path, and whether the path is part of the URI sent
 * @throws EntraAuthError `invalid_argument` for anything else
 * @example
 * ```ts
 * import { loopbackTarget } from "./redirect_uri.ts";
 * loopbackTarget("http://localhost"); // { hostname: "localhost", port: 0, path: "/", keepPath: false }
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
  if (
    url.protocol !== "http:" || (url.hostname !== "localhost" && url.hostname !== "127.0.0.1")
    || url.search !== "" || url.hash !== ""
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
    keepPath: /^http:\/\/[^/]+\/./i.test(redirectUri),
  };
}

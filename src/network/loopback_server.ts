/**
 * The loopback redirect receiver of the interactive sign-in (RFC 8252 §7.3): an HTTP server
 * on 127.0.0.1 only (an ephemeral port unless one is requested) that accepts exactly one
 * redirect matching the sign-in in progress. A request that does not match (wrong `state`,
 * another path, a foreign `Host`) is answered with an error page and the server keeps
 * waiting; once a redirect was accepted, new connections are refused and further requests
 * on open ones get HTTP 409. `close()` frees the port.
 *
 * @module
 */

import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { EntraAuthError } from "../errors.ts";
import { permissionError, requireDenoPermission } from "../permission_error.ts";
import { abortedError, timeoutError } from "./abort.ts";
import { failurePage, page, SUCCESS_PAGE } from "./pages.ts";

/** Options of {@link startLoopbackServer}. */
export interface LoopbackServerOptions {
  /** Port; 0 or absent picks a free one. */
  port?: number;
  /** Path of the redirect URI. Default `/`. */
  path?: string;
  /** Whether a redirect's query belongs to the sign-in in progress (e.g. its `state` matches). */
  accept: (query: URLSearchParams) => boolean;
  /** HTML shown after a redirect with a code. Default: a plain success page. */
  successPage?: string;
  /** HTML shown after a redirect with an error. Default: a plain failure page. */
  failurePage?: (error: string, description?: string) => string;
}

/** A running loopback receiver. */
export interface LoopbackServer {
  /** Always `127.0.0.1`. */
  readonly host: string;
  /** The bound port. */
  readonly port: number;
  /**
   * Waits for the one accepted redirect.
   *
   * @param options `signal` cancels (`aborted`), `timeoutMs` limits the wait (`timeout`)
   * @returns the redirect's query parameters
   */
  waitForRedirect(
    options?: { signal?: AbortSignal; timeoutMs?: number; },
  ): Promise<URLSearchParams>;
  /** Stops listening and drops open connections. Idempotent. */
  close(): Promise<void>;
  /** Same as `close()`. */
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * The request's URL, resolved against the loopback origin; `undefined` for a request-target
 * the URL parser refuses (`//x:99999/`, `//%zz/`, `http://[/`): only an origin-form target
 * (`/path?query`) can be a redirect, anything else is a bad request.
 */
function requestUrl(target: string | undefined, port: number): URL | undefined {
  if (target === undefined || !target.startsWith("/") || target.startsWith("//")) return undefined;
  try {
    return new URL(target, `http://127.0.0.1:${port}`);
  } catch {
    return undefined;
  }
}

function closedError(): EntraAuthError {
  return new EntraAuthError(
    "aborted",
    "The sign-in was ended: its loopback redirect server was closed before a redirect arrived.",
  );
}

function reply(res: ServerResponse, status: number, html: string): void {
  res.writeHead(status, {
    "content-type": "text/html; charset=utf-8",
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
  });
  res.end(html);
}

/**
 * Starts the loopback receiver on 127.0.0.1.
 *
 * @param options port, path, the matching rule, pages
 * @returns the server
 * @throws EntraAuthError `invalid_argument` when the port cannot be bound (e.g. in use)
 * @example
 * ```ts
 * import { startLoopbackServer } from "./loopback_server.ts";
 * const server = await startLoopbackServer({ accept: (q) => q.get("state") === "s" });
 * const redirectUri = `http://localhost:${server.port}`;
 * // … open the browser at an authorize URL with this redirect URI …
 * await server.close();
 * ```
 */
export async function startLoopbackServer(options: LoopbackServerOptions): Promise<LoopbackServer> {
  // Deno raises a refused listen outside any handler (the process ends): ask first.
  requireDenoPermission(
    { name: "net", host: "127.0.0.1" },
    "listening on 127.0.0.1 for the sign-in redirect",
  );
  const path = options.path ?? "/";
  let done = false;
  let resolveResult!: (query: URLSearchParams) => void;
  const result = new Promise<URLSearchParams>((resolve) => (resolveResult = resolve));
  let port = 0;

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const host = (req.headers.host ?? "").toLowerCase();
    if (host !== `127.0.0.1:${port}` && host !== `localhost:${port}`) {
      reply(res, 400, page("Bad request", "This server only answers loopback redirects."));
      return;
    }
    const url = requestUrl(req.url, port);
    if (url === undefined) {
      reply(res, 400, page("Bad request", "This is not the sign-in redirect address."));
      return;
    }
    if (req.method !== "GET" || url.pathname !== path) {
      reply(res, 404, page("Not found", "This is not the sign-in redirect address."));
      return;
    }
    if (done) {
      res.setHeader("connection", "close");
      reply(res, 409, page("Already completed", "This sign-in has already completed."));
      return;
    }
    if (!options.accept(url.searchParams)) {
      reply(
        res,
        400,
        page(
          "Sign-in response rejected",
          "This response does not belong to the sign-in in progress (state mismatch). "
            + "Return to the application and try again.",
        ),
      );
      return;
    }
    done = true;
    server.close(); // no new connections from now on
    const error = url.searchParams.get("error");
    res.setHeader("connection", "close");
    if (error) {
      const description = url.searchParams.get("error_description") ?? undefined;
      reply(res, 200, (options.failurePage ?? failurePage)(error, description));
    } else {
      reply(res, 200, options.successPage ?? SUCCESS_PAGE);
    }
    resolveResult(url.searchParams);
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    // Nothing a request carries may throw out of here: an exception in a request handler
    // ends a Node process (and makes Bun exit 1) in the middle of the user's sign-in.
    try {
      handle(req, res);
    } catch {
      try {
        if (!res.headersSent) reply(res, 400, page("Bad request", "This request is malformed."));
        else res.destroy();
      } catch {
        res.destroy();
      }
    }
  });
  // A request the HTTP parser refuses: answer 400 and hang up (never an exception).
  server.on("clientError", (_err: unknown, socket: Duplex) => {
    try {
      if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
      else socket.destroy();
    } catch {
      socket.destroy();
    }
  });

  await new Promise<void>((resolve, reject) => {
    const failed = (cause: unknown) =>
      reject(
        permissionError(cause, "listening on 127.0.0.1 for the sign-in redirect")
          ?? new EntraAuthError(
            "invalid_argument",
            `Cannot listen on 127.0.0.1:${options.port ?? 0} for the sign-in redirect: ${
              cause instanceof Error ? cause.message : String(cause)
            }. Choose another port, or let entra-auth pick one.`,
            { cause },
          ),
      );
    server.once("error", failed);
    try {
      server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
    } catch (cause) {
      failed(cause);
    }
  });
  port = (server.address() as AddressInfo).port;

  let closing: Promise<void> | undefined;
  /** The waits in progress: closing the server ends each (and clears its timer). */
  const waits = new Set<() => void>();
  const close = (): Promise<void> => {
    if (!done) { for (const end of [...waits]) end(); }
    closing ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections?.();
      if (!server.listening) {
        // Already stopped listening after the accepted redirect: `close` may not call back.
        setTimeout(resolve, 0);
      }
    });
    return closing;
  };

  const waitForRedirect = (
    wait: { signal?: AbortSignal; timeoutMs?: number; } = {},
  ): Promise<URLSearchParams> => {
    if (wait.signal?.aborted) return Promise.reject(abortedError("The sign-in", wait.signal));
    if (closing !== undefined && !done) {
      return Promise.reject(closedError());
    }
    return new Promise<URLSearchParams>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const onClose = () => {
        cleanup();
        reject(closedError());
      };
      const cleanup = () => {
        if (timer !== undefined) clearTimeout(timer);
        wait.signal?.removeEventListener("abort", onAbort);
        waits.delete(onClose);
      };
      waits.add(onClose);
      const onAbort = () => {
        cleanup();
        reject(abortedError("The sign-in", wait.signal));
      };
      wait.signal?.addEventListener("abort", onAbort, { once: true });
      if (wait.timeoutMs !== undefined) {
        timer = setTimeout(() => {
          cleanup();
          reject(timeoutError("The sign-in (waiting for the browser's redirect)", wait.timeoutMs!));
        }, wait.timeoutMs);
      }
      result.then((query) => {
        cleanup();
        resolve(query);
      });
    });
  };

  return {
    host: "127.0.0.1",
    port,
    waitForRedirect,
    close,
    [Symbol.asyncDispose]: close,
  };
}

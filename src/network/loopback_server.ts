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
import { EntraAuthError } from "../errors.ts";
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
  const path = options.path ?? "/";
  let done = false;
  let resolveResult!: (query: URLSearchParams) => void;
  const result = new Promise<URLSearchParams>((resolve) => (resolveResult = resolve));
  let port = 0;

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const host = (req.headers.host ?? "").toLowerCase();
    if (host !== `127.0.0.1:${port}` && host !== `localhost:${port}`) {
      reply(res, 400, page("Bad request", "This server only answers loopback redirects."));
      return;
    }
    const url = new URL(req.url ?? "/", `http://127.0.0.1:${port}`);
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
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", (cause: unknown) =>
      reject(
        new EntraAuthError(
          "invalid_argument",
          `Cannot listen on 127.0.0.1:${options.port ?? 0} for the sign-in redirect: ${
            cause instanceof Error ? cause.message : String(cause)
          }. Choose another port, or let entra-auth pick one.`,
          { cause },
        ),
      ));
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  port = (server.address() as AddressInfo).port;

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
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
    return new Promise<URLSearchParams>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const cleanup = () => {
        if (timer !== undefined) clearTimeout(timer);
        wait.signal?.removeEventListener("abort", onAbort);
      };
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

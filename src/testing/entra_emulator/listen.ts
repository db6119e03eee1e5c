/**
 * Serves a fetch-style handler over `node:http` (or `node:https` with a certificate) on a
 * loopback address (works in Node, Deno and Bun).
 *
 * @module
 */

import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createTlsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { TRUNCATED_HEADER } from "./faults.ts";

/** Options of {@link listen}. */
export interface ListenOptions {
  /** Port; 0 (default) picks a free one. */
  port?: number;
  /** Loopback address to bind; default `127.0.0.1`. */
  hostname?: "127.0.0.1" | "localhost" | "::1";
  /**
   * Serve HTTPS with this key and certificate (PEM text) (for clients that demand `https`
   * authorities, such as MSAL Python and the Azure CLI); the URLs the emulator builds then
   * start with `https://`. Default: plain HTTP.
   */
  tls?: { key: string; cert: string; };
}

/** A running server. */
export interface EmulatorServer {
  /** Origin, e.g. `http://127.0.0.1:53412` (`https://…` with `tls`). */
  url: string;
  /** Bound port. */
  port: number;
  /** Stops listening and drops open connections. Idempotent. */
  close(): Promise<void>;
  /** Same as `close()`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void>;
}

async function toRequest(req: IncomingMessage, origin: string): Promise<Request> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of req) chunks.push(chunk as Uint8Array);
  const headers = new Headers();
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    headers.append(req.rawHeaders[i], req.rawHeaders[i + 1]);
  }
  const method = req.method ?? "GET";
  const hasBody = method !== "GET" && method !== "HEAD";
  let body: Uint8Array | undefined;
  if (hasBody) {
    const total = chunks.reduce((n, c) => n + c.length, 0);
    body = new Uint8Array(total);
    let at = 0;
    for (const c of chunks) {
      body.set(c, at);
      at += c.length;
    }
  }
  return new Request(new URL(req.url ?? "/", origin), {
    method,
    headers,
    body: hasBody ? body as BodyInit : undefined,
  });
}

async function send(res: ServerResponse, response: Response): Promise<void> {
  const bytes = new Uint8Array(await response.arrayBuffer());
  const truncatedFrom = response.headers.get(TRUNCATED_HEADER);
  res.statusCode = response.status;
  response.headers.forEach((value, name) => {
    if (name !== "set-cookie" && name !== TRUNCATED_HEADER) res.setHeader(name, value);
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) res.setHeader("set-cookie", cookies);
  if (truncatedFrom !== null) {
    res.setHeader("content-length", truncatedFrom);
    res.write(bytes, () => res.socket?.destroy());
    return;
  }
  res.setHeader("content-length", String(bytes.length));
  res.end(bytes);
}

/**
 * Serves `handler` on a loopback address.
 *
 * @param handler The fetch-style handler.
 * @param options Port, hostname and TLS.
 * @returns The server's URL and `close()`.
 * @throws {Error} When the port cannot be bound.
 * @example
 * ```ts
 * import { listen } from "./listen.ts";
 * const server = await listen(() => Promise.resolve(new Response("ok")));
 * console.log(server.url);
 * await server.close();
 * ```
 */
export async function listen(
  handler: (request: Request) => Promise<Response>,
  options: ListenOptions = {},
): Promise<EmulatorServer> {
  const hostname = options.hostname ?? "127.0.0.1";
  let origin = "";
  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    toRequest(req, origin)
      .then(handler)
      .then((response) => send(res, response))
      .catch((err: unknown) => {
        if (!res.headersSent) {
          res.statusCode = 500;
          res.setHeader("content-type", "text/plain; charset=utf-8");
        }
        res.end(`emulator error: ${err instanceof Error ? err.message : String(err)}`);
      });
  };
  const server = options.tls
    ? createTlsServer({ key: options.tls.key, cert: options.tls.cert }, onRequest)
    : createServer(onRequest);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, hostname, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  origin = `${options.tls ? "https" : "http"}://${hostname === "::1" ? "[::1]" : hostname}:${port}`;
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections?.();
    });
    return closing;
  };
  return { url: origin, port, close, [Symbol.asyncDispose]: close };
}

/**
 * What the Azure CLI needs to sign in offline to the Entra emulator through a custom cloud
 * (for bench/cli/az.ts): the emulator over HTTPS with a certificate of a throw-away CA, the
 * Azure CLI's client id registered as a public client, a stand-in Azure Resource Manager
 * (`az login` lists subscriptions), and a CONNECT proxy (`HTTPS_PROXY`) that hands two host
 * names to the emulator:
 *
 * - `login.microsoftonline.com`: MSAL Python validates an authority it does not know by
 *   instance discovery on that host, always;
 * - `login.entra-emulator.test`: the custom cloud's Active Directory endpoint. MSAL Python
 *   sends that discovery the authority's host without its port, so an authority at
 *   `https://127.0.0.1:<port>` cannot be discovered; a name on port 443, reached through the
 *   proxy, can. The emulator knows it as a cloud of its own.
 *
 * Nothing leaves 127.0.0.1 (`.test` names never resolve).
 *
 * @module
 */

import { readFileSync } from "node:fs";
import { createServer as createHttp, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createHttps } from "node:https";
import { connect, type Server, type Socket } from "node:net";
import {
  createEntraEmulator,
  DEFAULT_CLOUDS,
  TEST_CLIENT_ID,
  TEST_TENANT_ID,
} from "../../src/testing/entra_emulator/mod.ts";
import { makeLoopbackCertificate } from "../../tests/support/azurite.ts";

/** The Azure CLI's public client id (MSAL's `client_id` in every `az` sign-in). */
export const AZURE_CLI_CLIENT_ID = "04b07795-8ddb-461a-bbee-02f9e1bf7b46";
/** The emulator's default user, who approves `az login`'s device code. */
export const AZ_USERNAME = "alice@contoso.onmicrosoft.com";
/** The custom cloud's Active Directory host (reached through the proxy). */
export const AZ_LOGIN_HOST = "login.entra-emulator.test";
/** The tenant `az login --tenant` names. */
export const AZ_TENANT: string = TEST_TENANT_ID;

/** The running stand-ins. */
export interface AzStandins {
  /** The custom cloud's Active Directory endpoint: `https://login.entra-emulator.test`. */
  authority: string;
  /** Where the emulator listens, e.g. `https://127.0.0.1:40123` (its control API). */
  emulator: string;
  /** The stand-in Resource Manager, e.g. `https://127.0.0.1:40124`. */
  arm: string;
  /** The CONNECT proxy for `HTTPS_PROXY`, e.g. `http://127.0.0.1:40125`. */
  proxy: string;
  /** The CA certificate to trust (`REQUESTS_CA_BUNDLE`). */
  caFile: string;
  /** What the stand-in Resource Manager and the proxy saw, oldest first. */
  log: string[];
  /** Approves a pending device code as {@link AZ_USERNAME} (the emulator's control API). */
  approve(userCode: string): void;
  /** Stops all three. */
  close(): Promise<void>;
}

function makeCertificate(dir: string): { caFile: string; cert: string; key: string; } {
  const files = makeLoopbackCertificate(dir, ["login.microsoftonline.com", AZ_LOGIN_HOST]);
  return {
    caFile: files.caFile,
    cert: readFileSync(files.certFile, "utf8"),
    key: readFileSync(files.keyFile, "utf8"),
  };
}

/** Resource Manager as far as `az login --allow-no-subscriptions` reads it: no subscriptions. */
function arm(log: string[]) {
  return (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? "/").split("?")[0].replace(/\/{2,}/g, "/").replace(/\/+$/, "");
    log.push(`ARM ${req.method} ${req.url}`);
    res.setHeader("content-type", "application/json; charset=utf-8");
    if (req.method === "GET" && path === "/subscriptions") {
      res.end(JSON.stringify({ value: [] }));
    } else if (req.method === "GET" && path === "/tenants") {
      res.end(JSON.stringify({
        value: [{ id: `/tenants/${AZ_TENANT}`, tenantId: AZ_TENANT, tenantCategory: "Home" }],
      }));
    } else {
      res.statusCode = 404;
      res.end(JSON.stringify({ error: { code: "NotFound", message: `no stand-in for ${path}` } }));
    }
  };
}

function listening(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      resolve(typeof address === "object" && address ? address.port : 0);
    });
  });
}

/**
 * Starts the emulator (HTTPS), the stand-in Resource Manager and the CONNECT proxy.
 *
 * @param dir An empty folder for the certificates.
 * @returns Their URLs, the CA file and `close()`.
 * @throws {Error} When `openssl` is missing or a port cannot be bound.
 * @example
 * ```ts
 * import { startAzStandins } from "./az_standin.ts";
 * const standins = await startAzStandins("/tmp/az-bench");
 * console.log(standins.authority);
 * await standins.close();
 * ```
 */
export async function startAzStandins(dir: string): Promise<AzStandins> {
  const { caFile, cert, key } = makeCertificate(dir);
  const log: string[] = [];
  const emulator = createEntraEmulator({
    apps: [
      {
        clientId: TEST_CLIENT_ID,
        name: "Entra Auth Test App",
        redirectUris: ["http://localhost", "http://127.0.0.1"],
        isPublicClient: true,
        familyId: "1",
      },
      {
        clientId: AZURE_CLI_CLIENT_ID,
        name: "Microsoft Azure CLI",
        redirectUris: ["http://localhost"],
        isPublicClient: true,
        familyId: "1",
      },
    ],
    clouds: [...DEFAULT_CLOUDS, {
      preferredNetwork: AZ_LOGIN_HOST,
      preferredCache: AZ_LOGIN_HOST,
      aliases: [AZ_LOGIN_HOST],
      instanceName: "entra-emulator.test",
      graphHost: "graph.entra-emulator.test",
    }],
    // The custom cloud's host is the one the emulator serves at its bare origin, so its URLs
    // are `https://127.0.0.1:<port>/<tenant>/…` and MSAL Python reads the tenant from them.
    defaultHost: AZ_LOGIN_HOST,
    lifetimes: { deviceCodeInterval: 1 },
  });
  const entra = await emulator.listen({ tls: { key, cert } });
  const armServer = createHttps({ key, cert }, arm(log));
  const armPort = await listening(armServer);
  const sockets = new Set<Socket>();
  const proxy = createHttp((_req, res) => {
    res.statusCode = 403;
    res.end("CONNECT only\n");
  });
  proxy.on("connect", (req: IncomingMessage, client: Socket, head: Uint8Array) => {
    log.push(`PROXY CONNECT ${req.url}`);
    sockets.add(client);
    client.on("close", () => sockets.delete(client));
    client.on("error", () => client.destroy());
    if (req.url !== "login.microsoftonline.com:443" && req.url !== `${AZ_LOGIN_HOST}:443`) {
      client.end("HTTP/1.1 403 Forbidden\r\n\r\n");
      return;
    }
    const upstream = connect(entra.port, "127.0.0.1", () => {
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    upstream.on("close", () => sockets.delete(upstream));
    upstream.on("error", () => client.destroy());
  });
  const proxyPort = await listening(proxy);
  const stop = (server: Server) => new Promise<void>((resolve) => server.close(() => resolve()));
  return {
    authority: `https://${AZ_LOGIN_HOST}`,
    emulator: entra.url,
    arm: `https://127.0.0.1:${armPort}`,
    proxy: `http://127.0.0.1:${proxyPort}`,
    caFile,
    log,
    approve: (userCode) => emulator.approveDeviceCode(userCode, AZ_USERNAME),
    close: async () => {
      for (const s of sockets) s.destroy();
      armServer.closeAllConnections();
      await Promise.all([entra.close(), stop(armServer), stop(proxy)]);
    },
  };
}

/**
 * Azurite (the Azure Storage emulator, npm `azurite`) for the Azure SDK tests: started on
 * 127.0.0.1 with OAuth (`--oauth basic`: bearer tokens checked for issuer, audience and
 * lifetime) over HTTPS with a certificate of a test CA made by `openssl`. It runs on Node in a
 * process of its own, so Deno and Bun tests use it too.
 */

import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot } from "./paths.ts";

/** A running Azurite blob service. */
export interface Azurite {
  /** The blob endpoint, e.g. `https://127.0.0.1:41234/devstoreaccount1`. */
  url: string;
  /** The test CA's certificate (PEM file) clients must trust. */
  caFile: string;
  /** Stops it and removes its files. */
  stop(): Promise<void>;
}

/**
 * A test certificate authority and a server certificate it signed for 127.0.0.1, made by
 * `openssl`. Trust `caFile` (Deno's fetch did not accept a self-signed server certificate given
 * in DENO_CERT); serve `certFile` with `keyFile`.
 *
 * @param dir where to write `ca.pem`, `cert.pem` and `key.pem`
 * @param dnsNames more host names the server certificate is for (besides 127.0.0.1 and
 *   localhost)
 * @returns the paths
 */
export function makeLoopbackCertificate(
  dir: string,
  dnsNames: readonly string[] = [],
): { caFile: string; certFile: string; keyFile: string; } {
  const caFile = join(dir, "ca.pem");
  const caKey = join(dir, "ca-key.pem");
  const certFile = join(dir, "cert.pem");
  const keyFile = join(dir, "key.pem");
  const csr = join(dir, "cert.csr");
  const ext = join(dir, "cert.ext");
  const run = (args: string[]) => execFileSync("openssl", args, { stdio: "ignore" });
  run([
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-days",
    "2",
    "-subj",
    "/CN=entra-auth test CA",
    "-keyout",
    caKey,
    "-out",
    caFile,
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign",
  ]);
  run([
    "req",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-subj",
    "/CN=127.0.0.1",
    "-keyout",
    keyFile,
    "-out",
    csr,
  ]);
  const names = ["localhost", ...dnsNames].map((name) => `DNS:${name}`).join(",");
  writeFileSync(
    ext,
    "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\n"
      + `extendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,${names}\n`,
  );
  run([
    "x509",
    "-req",
    "-in",
    csr,
    "-CA",
    caFile,
    "-CAkey",
    caKey,
    "-CAcreateserial",
    "-days",
    "2",
    "-extfile",
    ext,
    "-out",
    certFile,
  ]);
  return { caFile, certFile, keyFile };
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts Azurite's blob service with OAuth over HTTPS on 127.0.0.1.
 *
 * @param timeoutMs how long to wait for it to listen
 * @returns the running service
 */
export async function startAzurite(timeoutMs = 30_000): Promise<Azurite> {
  const dir = mkdtempSync(join(tmpdir(), "entra-azurite-"));
  const { caFile, certFile, keyFile } = makeLoopbackCertificate(dir);
  const port = await freePort();
  const child: ChildProcess = spawn("node", [
    join(repoRoot, "node_modules", "azurite", "dist", "src", "blob", "main.js"),
    "--blobHost",
    "127.0.0.1",
    "--blobPort",
    String(port),
    "--oauth",
    "basic",
    "--cert",
    certFile,
    "--key",
    keyFile,
    "--inMemoryPersistence",
    "--skipApiVersionCheck",
    "--disableProductStyleUrl",
    "--debug",
    join(dir, "debug.log"),
  ], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`Azurite did not start within ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (/successfully listens/.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`Azurite exited (${code}):\n${output}`));
    });
  });
  child.stdout!.removeAllListeners("data");
  child.stderr!.removeAllListeners("data");
  child.stdout!.resume();
  child.stderr!.resume();
  child.removeAllListeners("exit");
  return {
    url: `https://127.0.0.1:${port}/devstoreaccount1`,
    caFile,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
        if (child.exitCode === null) child.kill("SIGKILL");
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

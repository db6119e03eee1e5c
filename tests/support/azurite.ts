/**
 * Azurite (the Azure Storage emulator, npm `azurite`) for the Azure SDK tests: started on
 * 127.0.0.1 with OAuth (`--oauth basic`: bearer tokens checked for issuer, audience and
 * lifetime) over HTTPS with a self-signed certificate made by `openssl`. It runs on Node in a
 * process of its own, so Deno and Bun tests use it too.
 */

import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot } from "./paths.ts";

/** A running Azurite blob service. */
export interface Azurite {
  /** The blob endpoint, e.g. `https://127.0.0.1:41234/devstoreaccount1`. */
  url: string;
  /** The self-signed certificate (PEM file) clients must trust. */
  certFile: string;
  /** Stops it and removes its files. */
  stop(): Promise<void>;
}

/**
 * A self-signed certificate for 127.0.0.1 made by `openssl`.
 *
 * @param dir where to write `cert.pem` and `key.pem`
 * @returns the two paths
 */
export function makeLoopbackCertificate(dir: string): { certFile: string; keyFile: string; } {
  const certFile = join(dir, "cert.pem");
  const keyFile = join(dir, "key.pem");
  execFileSync("openssl", [
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-days",
    "2",
    "-subj",
    "/CN=127.0.0.1",
    "-addext",
    "subjectAltName=IP:127.0.0.1,DNS:localhost",
    "-keyout",
    keyFile,
    "-out",
    certFile,
  ], { stdio: "ignore" });
  return { certFile, keyFile };
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
  const { certFile, keyFile } = makeLoopbackCertificate(dir);
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
    certFile,
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

/**
 * Bun runs `nonblocking` functions inline (its thread-safe callbacks never make a native thread
 * wait, so they cannot deadlock). A function that may block for long on its own (a D-Bus round
 * trip to a frozen broker) is declared `mayBlock`: on Bun it runs in a short-lived Worker, so the
 * JavaScript thread keeps running. Only scalar arguments (numbers, bigints) cross to the Worker.
 *
 * @module
 */

import type { FFIType } from "bun:ffi";

const WORKER_SOURCE = `
import { dlopen } from "bun:ffi";
self.onmessage = (event) => {
  const { path, name, args, returns, argv } = event.data;
  try {
    // The same library the main thread opened (the loader shares it); never closed here.
    const lib = dlopen(path, { [name]: { args, returns } });
    postMessage({ value: lib.symbols[name](...argv) });
  } catch (err) {
    postMessage({ error: String(err && err.message || err) });
  }
};
`;

let workerUrl: string | undefined;

/**
 * Calls one function of a library in a new Worker and resolves with its result.
 *
 * @param path the library (already open on the main thread)
 * @param name the symbol
 * @param args its parameter types (scalars only)
 * @param returns its result type
 * @param argv the arguments
 * @returns the result
 * @example
 * ```ts ignore
 * const pid = await callInWorker("libc.so.6", "getpid", [], FFIType.i32, []);
 * ```
 */
export function callInWorker(
  path: string,
  name: string,
  args: FFIType[],
  returns: FFIType,
  argv: unknown[],
): Promise<unknown> {
  for (const a of argv) {
    if (typeof a !== "number" && typeof a !== "bigint" && typeof a !== "boolean") {
      return Promise.reject(new TypeError(`${name}: only scalar arguments can run in a worker`));
    }
  }
  workerUrl ??= URL.createObjectURL(
    new Blob([WORKER_SOURCE], { type: "application/javascript" }),
  );
  return new Promise((resolve, reject) => {
    const worker = new Worker(workerUrl!);
    worker.onmessage = (event: MessageEvent) => {
      worker.terminate();
      const data = event.data as { value?: unknown; error?: string; };
      if (data.error !== undefined) reject(new Error(data.error));
      else resolve(data.value);
    };
    worker.onerror = (event: ErrorEvent) => {
      worker.terminate();
      reject(new Error(event.message));
    };
    worker.postMessage({ path, name, args, returns, argv });
  });
}

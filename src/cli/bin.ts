#!/usr/bin/env node
/**
 * The `entra-auth` executable: `npx entra-auth`, `bunx entra-auth`,
 * `deno run -A jsr:@entra-auth/core/cli`.
 *
 * @example
 * ```sh
 * entra-auth token --client-id "$APP" --resource https://management.azure.com
 * ```
 *
 * @module
 */

import process from "node:process";
import { runCli } from "./main.ts";

const code = await runCli(process.argv.slice(2));
// Pending broker work (a call abandoned on Ctrl-C) must not keep the command alive.
process.exit(code);

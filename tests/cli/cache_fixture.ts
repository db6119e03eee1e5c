/** A plaintext cache in a folder of its own, and the full commands run in this process. */

import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { processHost } from "../../ffi/host.ts";
import { withCache } from "../../src/cache/plugin.ts";
import { TokenCache } from "../../src/cache/token_cache.ts";
import type { CliIo } from "../../src/cli/io.ts";
import { runCli } from "../../src/cli/main.ts";
import type { CacheHost } from "../../src/cli/token_from_cache.ts";
import { createPersistentCache } from "../../src/persistence/persistent_cache.ts";
import { CLIENT, requestContext, TENANT, type TestUser, tokenResponse } from "../cache/helpers.ts";

const realNow = () => Math.floor(Date.now() / 1000);

/** The authority the cached tokens were issued by. */
export const AUTHORITY = `https://login.microsoftonline.com/${TENANT}`;
/** The fast path is POSIX only. */
export const windows: boolean = process.platform === "win32";

/** A token to put in the cache. */
export interface Grant {
  who: TestUser;
  scope: string;
  expiresIn?: number;
  refreshIn?: number;
}

/** A folder with a plaintext cache holding `grants` (no refresh tokens: nothing to redeem). */
export async function folderWith(grants: Grant[]): Promise<{ dir: string; path: string; }> {
  const dir = mkdtempSync(join(tmpdir(), "entra-fast-"));
  const path = join(dir, "cache.json");
  await withCache(
    new TokenCache(),
    createPersistentCache({ path, encryption: "plaintext" }),
    (c) => {
      for (const g of grants) {
        c.saveTokenResponse(
          tokenResponse(g.who, {
            scope: `${g.scope} openid profile`,
            accessToken: `at-${g.who.username}-${g.scope}`,
            expiresIn: g.expiresIn ?? 3600,
            refreshIn: g.refreshIn,
            refreshToken: null,
          }),
          requestContext({ requestedAt: realNow(), tenant: TENANT, authority: AUTHORITY }),
        );
      }
    },
  );
  return { dir, path };
}

/** The arguments of a `token` call against `path`. */
export function tokenArgs(path: string, ...more: string[]): string[] {
  return [
    "--client-id",
    CLIENT,
    "--authority",
    AUTHORITY,
    "--cache",
    "plaintext",
    "--cache-path",
    path,
    "--broker",
    "off",
    "--no-interactive",
    ...more,
  ];
}

/** The process's services with a private environment (no config file, a private home). */
export async function hostFor(dir: string, env: Record<string, string> = {}): Promise<CacheHost> {
  const host = await processHost();
  return {
    ...host,
    env: {
      HOME: dir,
      XDG_CONFIG_HOME: join(dir, "config"),
      XDG_CACHE_HOME: join(dir, "cache"),
      ...env,
    },
  };
}

/** The full `token` command in this process. */
export function fullToken(
  args: string[],
  env: Record<string, string | undefined>,
): Promise<{ code: number; out: string; err: string; }> {
  return fullCommand(["token", ...args], env);
}

/** A full command in this process. */
export async function fullCommand(
  argv: string[],
  env: Record<string, string | undefined>,
): Promise<{ code: number; out: string; err: string; }> {
  let out = "";
  let err = "";
  const io: CliIo = {
    out: (t) => void (out += t),
    err: (t) => void (err += t),
    stdoutIsTty: false,
    color: false,
    env,
    readStdin: () => Promise.resolve(""),
    protectStdout: () => Promise.resolve(),
  };
  const code = await runCli(argv, io);
  return { code, out, err };
}

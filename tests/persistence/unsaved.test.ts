/**
 * A save that cannot take the lock (held by a stalled process past `lockTimeoutMs`, or
 * abandoned through the operation's AbortSignal) reports its error, and loses nothing: the
 * tokens stay in the app's memory, are served by the next silent call, survive another
 * process's write meanwhile (merged, not overwritten), and reach the file with the next
 * access that can take the lock. A `clear()` in between signs them out for good.
 */

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { after, before, describe, it } from "node:test";
import {
  type AuthenticationResult,
  createPersistentCache,
  EntraAuthError,
  PersistentCacheError,
  PublicClientApplication,
} from "../../mod.ts";
import { withCache } from "../../src/cache/plugin.ts";
import { FileLock } from "../../src/persistence/lock.ts";
import {
  ALICE,
  makeNetworkEmulator,
  TEST_CLIENT_ID,
  TEST_TENANT_ID,
} from "../support/network_emulator.ts";
import { simulatedProcess, tempFolder } from "./support.ts";

const AUTHORITY = `https://login.microsoftonline.com/${TEST_TENANT_ID}`;
const SCOPES = ["https://graph.microsoft.com/User.Read"];
const LOCK_WAIT_MS = 300;

/** A real process, stopped (SIGSTOP), named as the lock's owner: a stalled lock holder. */
function stalledHolder(lockPath: string): { release(): void; } {
  const child = spawn("sleep", ["300"], { stdio: "ignore" });
  const pid = child.pid!;
  process.kill(pid, "SIGSTOP");
  writeFileSync(
    lockPath,
    JSON.stringify({ pid, hostname: hostname(), createdAt: Date.now(), nonce: "stalled" }),
    { mode: 0o600 },
  );
  let released = false;
  return {
    release() {
      if (released) return;
      released = true;
      try {
        unlinkSync(lockPath);
      } catch {
        // gone already
      }
      process.kill(pid, "SIGKILL");
    },
  };
}

function app(
  path: string,
  emulator: ReturnType<typeof makeNetworkEmulator>,
  options: { lockTimeoutMs?: number; onTokens?: () => void; } = {},
) {
  return new PublicClientApplication({
    clientId: TEST_CLIENT_ID,
    authority: AUTHORITY,
    fetch: async (input, init) => {
      const response = await emulator.fetch(input, init);
      if (String(input).endsWith("/oauth2/v2.0/token") && response.ok) options.onTokens?.();
      return response;
    },
    cache: {
      cachePlugin: createPersistentCache({
        path,
        encryption: "plaintext",
        lockTimeoutMs: options.lockTimeoutMs ?? LOCK_WAIT_MS,
        staleLockMs: 600_000,
        logger: { loggerCallback: () => {} },
      }),
    },
  });
}

function deviceCodeSignIn(
  pca: PublicClientApplication,
  emulator: ReturnType<typeof makeNetworkEmulator>,
  signal?: AbortSignal,
): Promise<AuthenticationResult> {
  return pca.acquireTokenByDeviceCode({
    scopes: SCOPES,
    deviceCodeCallback: (info) => {
      setTimeout(() => emulator.approveDeviceCode(info.userCode, ALICE), 20);
    },
    signal,
  });
}

function tokenRequests(emulator: ReturnType<typeof makeNetworkEmulator>): number {
  return emulator.requests().filter((r) => r.path.endsWith("/oauth2/v2.0/token")).length;
}

function usernamesInFile(path: string): string[] {
  const doc = JSON.parse(readFileSync(path, "utf8"));
  return Object.values(doc.Account ?? {}).map((a) => (a as { username: string; }).username);
}

describe("a save that cannot take the lock loses nothing", {
  skip: process.platform === "win32" && "POSIX signals",
}, () => {
  let folder: ReturnType<typeof tempFolder>;
  before(() => (folder = tempFolder()));
  after(() => folder.remove());

  for (const how of ["lock_timeout", "aborted"] as const) {
    it(`${how}: the sign-in is reported failed, then served from memory and written later`, async () => {
      const path = join(folder.dir, `${how}.json`);
      const emulator = makeNetworkEmulator({ lifetimes: { deviceCodeInterval: 1 } });
      const controller = new AbortController();
      // "aborted": only the signal can end the wait in time; it aborts once the tokens came
      // back, while the save waits for the lock.
      const target = how === "aborted"
        ? app(path, emulator, {
          lockTimeoutMs: 600_000,
          onTokens: () => setTimeout(() => controller.abort(), 100),
        })
        : app(path, emulator);
      const holder = stalledHolder(`${path}.lock`);
      try {
        const err = await deviceCodeSignIn(target, emulator, controller.signal).then(
          () => undefined,
          (e) => e,
        );
        assert.ok(err instanceof EntraAuthError, `expected a typed error, got ${err}`);
        if (how === "lock_timeout") {
          assert.ok(err instanceof PersistentCacheError);
          assert.equal(err.reason, "lock_timeout");
        } else assert.equal(err.code, "aborted");
        // Another process signs a second user in meanwhile (it cannot write either: the lock
        // is still held; after the holder is gone it can).
        holder.release();
        const other = simulatedProcess(path);
        await other.save(7);
        const requestsBefore = tokenRequests(emulator);
        const [account] = (await target.getAccounts()).filter((a) => a.username === ALICE);
        assert.ok(account, "the signed-in account is still known to the app");
        const silent = await target.acquireTokenSilent({ scopes: SCOPES, account });
        assert.equal(silent.fromCache, true);
        assert.equal(tokenRequests(emulator), requestsBefore, "served without a token request");
        // Written by that access; the other process's user is kept too.
        const names = usernamesInFile(path);
        assert.ok(names.includes(ALICE), `file holds ${names}`);
        assert.equal(names.length, 2, `file holds ${names}`);
      } finally {
        holder.release();
      }
    });
  }

  it("clear() after a failed save signs the unsaved account out for good", async () => {
    const path = join(folder.dir, "cleared.json");
    const emulator = makeNetworkEmulator({ lifetimes: { deviceCodeInterval: 1 } });
    const plugin = createPersistentCache({
      path,
      encryption: "plaintext",
      lockTimeoutMs: LOCK_WAIT_MS,
      logger: { loggerCallback: () => {} },
    });
    const pca = new PublicClientApplication({
      clientId: TEST_CLIENT_ID,
      authority: AUTHORITY,
      fetch: emulator.fetch,
      cache: { cachePlugin: plugin },
    });
    assert.equal(plugin.path, path);
    const holder = stalledHolder(`${path}.lock`);
    try {
      await assert.rejects(deviceCodeSignIn(pca, emulator), { reason: "lock_timeout" });
    } finally {
      holder.release();
    }
    await plugin.clear();
    assert.deepEqual(await pca.getAccounts(), []);
    assert.deepEqual(await pca.getAccounts(), [], "not written back by a later access");
  });

  it("a read-only access retries the pending save; a failure there is logged, not thrown", async () => {
    const path = join(folder.dir, "retry.json");
    const ours = simulatedProcess(path, { lockTimeoutMs: LOCK_WAIT_MS });
    const holder = stalledHolder(`${path}.lock`);
    try {
      await assert.rejects(ours.save(1), { reason: "lock_timeout" });
      // Still locked: the read answers from memory and logs the failed retry.
      assert.equal((await ours.accounts()).length, 1);
      assert.ok(ours.logs.some((l) => l.startsWith("warning: Saving the token cache's pending")));
    } finally {
      holder.release();
    }
    assert.equal((await ours.accounts()).length, 1);
    assert.equal(usernamesInFile(path).length, 1, "written by the read once the lock was free");
  });
});

describe("waiting for the lock or for a turn ends with the AbortSignal", () => {
  let folder: ReturnType<typeof tempFolder>;
  before(() => (folder = tempFolder()));
  after(() => folder.remove());

  it("FileLock.acquire: aborted while another process holds the lock", {
    skip: process.platform === "win32" && "POSIX signals",
  }, async () => {
    const lockPath = join(folder.dir, "held.lock");
    const holder = stalledHolder(lockPath);
    try {
      const started = Date.now();
      const waiting = FileLock.acquire(lockPath, {
        timeoutMs: 600_000,
        signal: AbortSignal.timeout(200),
      });
      await assert.rejects(waiting, (err: unknown) => {
        assert.ok(err instanceof EntraAuthError);
        assert.equal(err.code, "aborted");
        return true;
      });
      assert.ok(Date.now() - started < 30_000, "ended long before the lock's own limit");
      await assert.rejects(
        FileLock.acquire(lockPath, { signal: AbortSignal.abort() }),
        { code: "aborted" },
      );
    } finally {
      holder.release();
    }
  });

  it("withCache: an access waiting for its turn behind a hung one ends when aborted", async () => {
    const cache = simulatedProcess(join(folder.dir, "turn.json")).cache;
    let release = () => {};
    const hung = {
      beforeCacheAccess: () => new Promise<void>((resolve) => (release = resolve)),
      afterCacheAccess() {},
    };
    const first = withCache(cache, hung, () => 1);
    const controller = new AbortController();
    let ran = false;
    const second = withCache(cache, hung, () => (ran = true), controller.signal);
    setTimeout(() => controller.abort(), 50);
    await assert.rejects(second, { code: "aborted" });
    release();
    assert.equal(await first, 1);
    // The aborted access never runs, even once its turn comes.
    await withCache(cache, undefined, () => 0);
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(ran, false);
  });
});

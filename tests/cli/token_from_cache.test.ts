/**
 * The token fast path (src/cli/token_from_cache.ts): it answers exactly what the full
 * `token` command answers when the cache holds a valid token, and gives way (changing
 * nothing) in every other case, after which the full command reports as before. The full
 * command runs in-process here (`--broker off`: nothing reaches a broker or the network).
 */

import assert from "node:assert/strict";
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, posix } from "node:path";
import { describe, it } from "node:test";
import { parse } from "../../src/cli/args.ts";
import { parseSimple } from "../../src/cli/flags.ts";
import { posixJoin } from "../../src/cli/posix_path.ts";
import { tokenFromCache } from "../../src/cli/token_from_cache.ts";
import { TOKEN_FLAGS } from "../../src/cli/token_request.ts";
import { MAGIC } from "../../src/persistence/envelope.ts";
import { CLIENT, user } from "../cache/helpers.ts";
import { runCli as runCliProcess } from "../support/cli.ts";
import { folderWith, fullToken, hostFor, tokenArgs, windows } from "./cache_fixture.ts";

describe("entra-auth token from the cache (fast path)", { skip: windows }, () => {
  it("prints what the full command prints, in every output format", async () => {
    const { dir, path } = await folderWith([{ who: user(1), scope: "Mail.Read" }]);
    const host = await hostFor(dir);
    for (const output of ["token", "json", "header"]) {
      const args = tokenArgs(path, "--scope", "Mail.Read", "-o", output);
      const fast = await tokenFromCache(args, host);
      assert.ok("output" in fast, JSON.stringify(fast));
      const full = await fullToken(args, host.env);
      assert.equal(full.code, 0, full.err);
      assert.equal(fast.output, full.out, output);
    }
    const resource = await tokenFromCache(
      tokenArgs(
        path,
        "--resource",
        "https://graph.microsoft.com/",
        "--account",
        "USER1@contoso.com",
      ),
      host,
    );
    assert.ok("reason" in resource, "a scope that was never granted");
  });

  it("gives way on an expired token or a missing scope; the full command then asks to sign in", async () => {
    const { dir, path } = await folderWith([
      { who: user(1), scope: "Mail.Read", expiresIn: 120 }, // inside the 5-minute margin
    ]);
    const host = await hostFor(dir);
    for (const scope of ["Mail.Read", "Files.Read"]) {
      const args = tokenArgs(path, "--scope", scope);
      assert.deepEqual(await tokenFromCache(args, host), { reason: "no valid token" });
      const full = await fullToken(args, host.env);
      assert.equal(full.code, 3, full.err);
      assert.match(full.err, /entra-auth login/);
    }
  });

  it("gives way when the token is due for refresh (the full command decides)", async () => {
    const { dir, path } = await folderWith([
      { who: user(1), scope: "Mail.Read", expiresIn: 7200, refreshIn: 1 },
    ]);
    const host = await hostFor(dir);
    await new Promise((r) => setTimeout(r, 1100));
    const args = tokenArgs(path, "--scope", "Mail.Read");
    assert.deepEqual(await tokenFromCache(args, host), { reason: "refresh due" });
    // No refresh token: the full command serves the cached token anyway.
    const full = await fullToken(args, host.env);
    assert.equal(full.code, 0, full.err);
    assert.equal(full.out, `at-${user(1).username}-Mail.Read\n`);
  });

  it("does not choose between accounts; the full command asks for --account", async () => {
    const { dir, path } = await folderWith([
      { who: user(1), scope: "Mail.Read" },
      { who: user(2), scope: "Mail.Read" },
    ]);
    const host = await hostFor(dir);
    const args = tokenArgs(path, "--scope", "Mail.Read");
    const fast = await tokenFromCache(args, host);
    assert.match(JSON.stringify(fast), /^\{"reason":"error/);
    const full = await fullToken(args, host.env);
    assert.equal(full.code, 2);
    assert.match(full.err, /2 accounts are signed in: choose one with --account/);
    const named = await tokenFromCache([...args, "--account", user(2).username], host);
    assert.deepEqual(named, { output: `at-${user(2).username}-Mail.Read\n` });
  });

  it("leaves a corrupt or untrusted file to the full command, untouched", async () => {
    const { dir, path } = await folderWith([{ who: user(1), scope: "Mail.Read" }]);
    const host = await hostFor(dir);
    const args = tokenArgs(path, "--scope", "Mail.Read");
    chmodSync(path, 0o666);
    assert.deepEqual(await tokenFromCache(args, host), { reason: "untrusted file" });
    const untrusted = await fullToken(args, host.env);
    assert.equal(untrusted.code, 5, untrusted.err);
    assert.match(untrusted.err, /writable by others/);
    chmodSync(path, 0o600);
    const text = readFileSync(path, "utf8");
    writeFileSync(path, text.slice(0, text.length / 2), { mode: 0o600 });
    assert.deepEqual(await tokenFromCache(args, host), { reason: "unreadable file" });
    assert.equal(readFileSync(path, "utf8"), text.slice(0, text.length / 2), "not moved");
    const corrupt = await fullToken(args, host.env);
    assert.equal(corrupt.code, 3, corrupt.err);
    assert.match(corrupt.err, /kept aside/);
  });

  it("gives way for flags it must not decide: help, force-refresh, verbose, unknown", async () => {
    const { dir, path } = await folderWith([{ who: user(1), scope: "Mail.Read" }]);
    const host = await hostFor(dir);
    const base = tokenArgs(path, "--scope", "Mail.Read");
    for (const extra of [["--help"], ["--force-refresh"], ["-v"], ["--nope"], ["positional"]]) {
      assert.ok("reason" in await tokenFromCache([...base, ...extra], host), extra.join(" "));
    }
    const logging = await hostFor(dir, { ENTRA_AUTH_LOG: "broker" });
    assert.deepEqual(await tokenFromCache(base, logging), { reason: "logging" });
    const badAuthority = await tokenFromCache(
      [...base, "--authority", "http://example.com/x"],
      host,
    );
    assert.ok("reason" in badAuthority, "the application would refuse this authority");
    assert.ok("output" in await tokenFromCache(base, host));
  });

  it(
    "reads a keyring cache through the persistent cache, and reports its failures as the full command does",
    {
      timeout: 120_000,
    },
    async () => {
      const { dir, path } = await folderWith([{ who: user(1), scope: "Mail.Read" }]);
      const host = await hostFor(dir);
      // A plaintext file in keyring mode is read (and encrypted on the next write): no key needed.
      const args = tokenArgs(path, "--scope", "Mail.Read", "--cache", "keyring");
      const fast = await tokenFromCache(args, host);
      assert.deepEqual(fast, { output: `at-${user(1).username}-Mail.Read\n` });
      // An encrypted file needs its key, and no keyring is reachable (new processes: a bus
      // connection is made once per process).
      writeFileSync(path, new Uint8Array([...MAGIC, ...new Uint8Array(16).fill(7), 1, 2, 3]), {
        mode: 0o600,
      });
      const env = {
        HOME: dir,
        ENTRA_AUTH_LOG: "startup",
        DBUS_SESSION_BUS_ADDRESS: "unix:path=/nonexistent/bus",
      };
      const reported = await runCliProcess(["token", ...args], { env });
      // A positional argument, which the full command ignores, makes the fast path give way.
      const full = await runCliProcess(["token", "positional", ...args], { env });
      assert.equal(full.code, 5, full.stderr);
      assert.equal(reported.code, 5, reported.stderr);
      const [fastTrace, fastError] = reported.stderr.split("\n");
      const [fullTrace, fullError] = full.stderr.split("\n");
      assert.equal(fastTrace, "entra-auth: startup: a failure of the cache, reported");
      assert.equal(fullTrace, "entra-auth: startup: full command (arguments)");
      assert.equal(fastError, fullError);
      assert.match(fastError, /--cache plaintext/);
      assert.equal(reported.stdout, "");
    },
  );

  it("reads settings as the commands do: flags, then environment, then the profile", async () => {
    const { dir, path } = await folderWith([{ who: user(1), scope: "Mail.Read" }]);
    mkdirSync(join(dir, "config", "entra-auth"), { recursive: true });
    writeFileSync(
      join(dir, "config", "entra-auth", "config.json"),
      JSON.stringify({
        default: "work",
        profiles: { work: { clientId: CLIENT, cache: "plaintext", cachePath: path } },
      }),
    );
    const host = await hostFor(dir);
    const args = ["--scope", "Mail.Read"];
    assert.ok("output" in await tokenFromCache(args, host), "everything from the profile");
    const other = await hostFor(dir, { ENTRA_AUTH_CLIENT_ID: crypto.randomUUID() });
    // Accounts are shared by every app; the tokens are not.
    assert.deepEqual(await tokenFromCache(args, other), { reason: "no valid token" });
    assert.ok(
      "output" in await tokenFromCache([...args, "--client-id", CLIENT], other),
      "flag first",
    );
    const noProfile = await tokenFromCache([...args, "--profile", "missing"], host);
    assert.ok("reason" in noProfile);
  });

  it("parses arguments as parseArgs does, or not at all", () => {
    const cases = [
      ["--scope", "a", "--scope=b", "-o", "json", "--no-interactive"],
      ["--client-id", "x", "--client-id", "y", "--resource", "https://r/"],
      ["--scope", "-x"],
      ["--scope"],
      ["-o=json"],
      ["--help=1"],
      ["-vh"],
      ["--", "--scope", "a"],
      ["-"],
      ["--scope=", "--output=header"],
      ["--__proto__", "x"],
      ["--constructor"],
    ];
    for (const argv of cases) {
      const simple = parseSimple(argv, TOKEN_FLAGS);
      let full: { values: Record<string, unknown>; positionals: string[]; } | undefined;
      try {
        full = parse("token", argv, TOKEN_FLAGS);
      } catch {
        full = undefined;
      }
      if (simple === undefined) continue; // gives way: the full command parses it
      assert.ok(full && full.positionals.length === 0, argv.join(" "));
      assert.deepEqual({ ...simple }, { ...full.values }, argv.join(" "));
    }
    assert.ok(parseSimple(cases[0], TOKEN_FLAGS), "the usual form is parsed");
  });

  it("joins paths as path.posix.join", () => {
    const cases = [
      ["/home/me", ".cache", "entra-auth", "token_cache.json"],
      ["/home/me/", "./x/../y", "z.json"],
      ["rel//a", "..", "..", "..", "b"],
      ["/", "..", "a"],
      ["", ""],
      ["a/", ""],
      ["/x/y/", "../"],
    ];
    for (const parts of cases) {
      assert.equal(posixJoin(...parts), posix.join(...parts), parts.join());
    }
  });
});

describe("entra-auth token as a process: which path serves it", { skip: windows }, () => {
  it("serves a valid token without loading the sign-in code, and gives way otherwise", {
    timeout: 120_000,
  }, async () => {
    const { dir, path } = await folderWith([{ who: user(1), scope: "Mail.Read" }]);
    const env = {
      HOME: dir,
      XDG_CONFIG_HOME: join(dir, "config"),
      ENTRA_AUTH_LOG: "startup",
      // Were the broker binding loaded, --broker on would fail on this library.
      ENTRA_AUTH_MSALRUNTIME_PATH: join(dir, "missing", "libmsalruntime.so"),
    };
    const served = await runCliProcess(
      ["token", ...tokenArgs(path, "--scope", "Mail.Read"), "--broker", "on"],
      { env },
    );
    assert.equal(served.code, 0, served.stderr);
    assert.equal(served.stdout, `at-${user(1).username}-Mail.Read\n`);
    assert.equal(served.stderr, "entra-auth: startup: served from the cache\n");
    const missing = await runCliProcess(["token", ...tokenArgs(path, "--scope", "Files.Read")], {
      env,
    });
    assert.equal(missing.code, 3, missing.stderr);
    assert.equal(missing.stdout, "");
    assert.match(missing.stderr, /^entra-auth: startup: full command \(no valid token\)\n/);
    assert.match(missing.stderr, /sign-in required and prompting is not allowed here/);
  });
});

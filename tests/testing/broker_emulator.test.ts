// Tests of the Linux broker emulator: D-Bus marshalling, every broker method, every fault kind
// and the control API, against a private dbus-daemon started (and killed by PID) here.
// Broker replies are free-form JSON, narrowed by the assertions themselves:
// deno-lint-ignore-file no-explicit-any
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { createPublicKey, verify } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { after, before, describe, it } from "node:test";
import {
  BROKER_BUS_NAME,
  BROKER_INTERFACE,
  BROKER_OBJECT_PATH,
  BrokerEmulator,
  DBusConnection,
  DBusError,
  DBusReader,
  DBusWriter,
  decodeJwtPayload,
  decodeMessage,
  encodeMessage,
  messageLength,
  MessageType,
  socketPathFromAddress,
  splitSignature,
} from "../../src/testing/broker_emulator/mod.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const CLIENT = "04b07795-8ddb-461a-bbee-02f9e1bf7b46";
const USER = "testuser@contoso.example";
const HOME_ID = "11111111-aaaa-bbbb-cccc-000000000001.aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function startBus(dir: string): Promise<{ child: ChildProcess; address: string; }> {
  const config = join(dir, "bus.conf");
  writeFileSync(
    config,
    `<busconfig><type>session</type><listen>unix:path=${dir}/bus</listen><auth>EXTERNAL</auth>`
      + `<policy context="default"><allow send_destination="*" eavesdrop="true"/>`
      + `<allow eavesdrop="true"/><allow own="*"/></policy></busconfig>`,
  );
  const child = spawn("dbus-daemon", [
    `--config-file=${config}`,
    "--nofork",
    "--nopidfile",
    "--print-address=1",
  ], {
    stdio: ["ignore", "pipe", "ignore"],
  });
  return new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error("dbus-daemon did not start")), 5000);
    child.once("error", reject);
    child.stdout!.on("data", (chunk: Uint8Array) => {
      out += new TextDecoder().decode(chunk);
      if (!out.includes("\n")) return;
      clearTimeout(timer);
      child.stdout!.removeAllListeners("data");
      child.stdout!.destroy();
      resolve({ child, address: out.split("\n")[0]! });
    });
  });
}

function run(cmd: string, args: string[], env?: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      cmd,
      args,
      { env: { ...process.env, ...env }, timeout: 10000 },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`${cmd} failed: ${stderr || err.message}`));
        else resolve(stdout);
      },
    );
  });
}

describe("D-Bus marshalling", () => {
  const sample: [string, unknown][] = [
    ["y", 200],
    ["b", true],
    ["n", -2],
    ["q", 65000],
    ["i", -70000],
    ["u", 4000000000],
    ["x", -(2n ** 40n)],
    ["t", 2n ** 63n],
    ["d", 1.5],
    ["s", "héllo"],
    ["o", "/com/microsoft/identity/broker1"],
    ["g", "a{sv}"],
    ["as", ["a", "", "ccc"]],
    ["a{sv}", [["k", { signature: "s", value: "v" }], ["n", { signature: "u", value: 7 }]]],
    ["v", { signature: "as", value: ["x"] }],
    ["(ysa(yv))", [1, "s", [[2, { signature: "b", value: false }]]]],
  ];
  for (const littleEndian of [true, false]) {
    it(`round-trips every type (${littleEndian ? "little" : "big"}-endian)`, () => {
      const w = new DBusWriter(littleEndian);
      const signature = sample.map(([t]) => t).join("");
      w.writeAll(signature, sample.map(([, v]) => v));
      const back = new DBusReader(w.toBytes(), littleEndian).readAll(signature);
      assert.deepEqual(back, sample.map(([, v]) => v));
    });
  }
  it("aligns and pads like the specification", () => {
    const w = new DBusWriter(true);
    w.writeAll("yu", [1, 2]);
    assert.deepEqual([...w.toBytes()], [1, 0, 0, 0, 2, 0, 0, 0]);
    const b = new DBusWriter(false);
    b.writeAll("s", ["ab"]);
    assert.deepEqual([...b.toBytes()], [0, 0, 0, 2, 0x61, 0x62, 0]);
    const obj = new DBusWriter(true);
    obj.write("a{sv}", { a: { signature: "y", value: 9 } });
    assert.deepEqual(new DBusReader(obj.toBytes(), true).read("a{sv}"), [["a", {
      signature: "y",
      value: 9,
    }]]);
  });
  it("splits signatures and rejects malformed ones", () => {
    assert.deepEqual(splitSignature("sa{sv}(ii)v"), ["s", "a{sv}", "(ii)", "v"]);
    assert.throws(() => splitSignature("a{sv"));
    assert.throws(() => splitSignature("z"));
    assert.throws(
      () => new DBusReader(new Uint8Array([5, 0, 0, 0, 0x61]), true).read("s"),
      RangeError,
    );
  });
  it("encodes and decodes messages in both byte orders", () => {
    for (const le of [true, false]) {
      const bytes = encodeMessage({
        type: MessageType.METHOD_CALL,
        flags: 0,
        serial: 9,
        path: BROKER_OBJECT_PATH,
        interface: BROKER_INTERFACE,
        member: "getAccounts",
        destination: BROKER_BUS_NAME,
        signature: "sss",
        body: ["0.0", "corr", "{}"],
      }, le);
      assert.equal(bytes[0], le ? 0x6c : 0x42);
      assert.equal(messageLength(bytes), bytes.length);
      assert.equal(messageLength(bytes.subarray(0, 10)), undefined);
      const m = decodeMessage(bytes);
      assert.equal(m.littleEndian, le);
      assert.equal(m.member, "getAccounts");
      assert.deepEqual(m.body, ["0.0", "corr", "{}"]);
    }
  });
  it("parses bus addresses", () => {
    assert.equal(socketPathFromAddress("unix:path=/tmp/b%20us,guid=12"), "/tmp/b us");
    assert.equal(socketPathFromAddress("tcp:host=x;unix:abstract=/tmp/dbus-1"), "\0/tmp/dbus-1");
    assert.throws(() => socketPathFromAddress("tcp:host=localhost,port=1"));
  });
});

describe("broker emulator on a private bus", () => {
  let dir = "";
  let bus: ChildProcess | undefined;
  let address = "";
  let emulator: BrokerEmulator;
  let client: DBusConnection;
  let url = "";

  const broker = async (
    method: string,
    request: unknown,
    timeoutMs = 5000,
    littleEndian = true,
  ): Promise<any> => {
    const [reply] = await client.call({
      destination: BROKER_BUS_NAME,
      path: BROKER_OBJECT_PATH,
      interface: BROKER_INTERFACE,
      member: method,
      signature: "sss",
      body: ["0.0", `corr-${method}`, JSON.stringify(request)],
      timeoutMs,
      littleEndian,
    });
    return JSON.parse(reply as string);
  };
  const control = async (method: string, path: string, body?: unknown): Promise<any> => {
    const res = await fetch(url + path, {
      method,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, ...(await res.json()) };
  };
  const silent = (extra: Record<string, unknown> = {}) => ({
    authParameters: {
      account: { homeAccountId: HOME_ID, localAccountId: HOME_ID.split(".")[0], username: USER },
      authority: "https://login.microsoftonline.com/organizations",
      clientId: CLIENT,
      popParams: null,
      requestedScopes: ["https://graph.microsoft.com/.default"],
      username: USER,
      ...extra,
    },
  });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "broker-emu-test-"));
    ({ child: bus, address } = await startBus(dir));
    emulator = await BrokerEmulator.start({
      busAddress: address,
      dieMode: "disconnect",
      logFile: join(dir, "log.jsonl"),
    });
    url = emulator.controlUrl;
    client = await DBusConnection.open(address);
  });
  after(async () => {
    client?.close();
    await emulator?.close();
    if (bus?.pid && bus.exitCode === null) {
      const exited = new Promise((r) => bus!.once("exit", r));
      process.kill(bus.pid, "SIGTERM");
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it("answers Peer, Introspectable and Properties, and rejects unknown calls", async () => {
    const base = { destination: BROKER_BUS_NAME, path: BROKER_OBJECT_PATH };
    assert.deepEqual(
      await client.call({ ...base, interface: "org.freedesktop.DBus.Peer", member: "Ping" }),
      [],
    );
    const [id] = await client.call({
      ...base,
      interface: "org.freedesktop.DBus.Peer",
      member: "GetMachineId",
    });
    assert.equal(typeof id, "string");
    const [xml] = await client.call({
      ...base,
      interface: "org.freedesktop.DBus.Introspectable",
      member: "Introspect",
    });
    for (
      const m of [
        "getAccounts",
        "acquireTokenSilently",
        "acquireTokenInteractively",
        "removeAccount",
        "getLinuxBrokerVersion",
      ]
    ) {
      assert.match(xml as string, new RegExp(`<method name="${m}">`));
    }
    const [props] = await client.call({
      ...base,
      interface: "org.freedesktop.DBus.Properties",
      member: "GetAll",
      signature: "s",
      body: [BROKER_INTERFACE],
    });
    assert.deepEqual(props, []);
    await assert.rejects(
      client.call({
        ...base,
        interface: BROKER_INTERFACE,
        member: "nope",
        signature: "sss",
        body: ["", "", ""],
      }),
      (e: DBusError) => e.errorName === "org.freedesktop.DBus.Error.UnknownMethod",
    );
    await assert.rejects(
      client.call({
        ...base,
        interface: BROKER_INTERFACE,
        member: "getAccounts",
        signature: "s",
        body: ["x"],
      }),
      (e: DBusError) => e.errorName === "org.freedesktop.DBus.Error.InvalidArgs",
    );
  });

  it("serves getAccounts, silent and interactive tokens shaped like the samples", async () => {
    const accounts = await broker("getAccounts", { clientId: CLIENT, redirectUri: CLIENT });
    assert.deepEqual(accounts.accounts.map((a: any) => a.username), [USER]);
    assert.deepEqual(Object.keys(accounts.accounts[0]), [
      "environment",
      "givenName",
      "familyName",
      "homeAccountId",
      "localAccountId",
      "name",
      "passwordExpiry",
      "realm",
      "username",
    ]);
    const { brokerTokenResponse: r } = await broker(
      "acquireTokenSilently",
      silent({ nonce: "n-1" }),
    );
    assert.deepEqual(Object.keys(r), [
      "accessToken",
      "accessTokenType",
      "account",
      "clientInfo",
      "expiresOn",
      "extendedExpiresOn",
      "grantedScopes",
      "idToken",
    ]);
    assert.equal(r.accessTokenType, 0);
    assert.equal(r.grantedScopes, "https://graph.microsoft.com/.default");
    assert.ok(
      r.expiresOn > Date.now() && r.expiresOn % 1000 === 0 && r.extendedExpiresOn > r.expiresOn,
    );
    assert.deepEqual(decodeJwtPayload(`x.${r.clientInfo}.x`), {
      uid: "11111111-aaaa-bbbb-cccc-000000000001",
      utid: "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
    });
    const claims = decodeJwtPayload(r.idToken);
    assert.equal(claims.aud, CLIENT);
    assert.equal(
      claims.iss,
      "https://login.microsoftonline.com/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee/v2.0",
    );
    assert.equal(claims.preferred_username, USER);
    assert.equal(claims.nonce, "n-1");
    for (const k of ["oid", "tid", "sub", "name", "iat", "nbf", "exp"]) assert.ok(claims[k], k);
    const { keys } = await control("GET", "/jwks");
    const [h, p, s] = (r.idToken as string).split(".");
    const header = JSON.parse(atob(h!.replace(/-/g, "+").replace(/_/g, "/")));
    const jwk = keys.find((k: any) => k.kid === header.kid);
    assert.equal(header.alg, "RS256");
    const key = createPublicKey({ key: { kty: jwk.kty, n: jwk.n, e: jwk.e }, format: "jwk" });
    assert.ok(
      verify("sha256", new TextEncoder().encode(`${h}.${p}`), key, Buffer.from(s!, "base64url")),
    );
    assert.equal(decodeJwtPayload(r.accessToken).aud, "https://graph.microsoft.com");

    const other = { username: "adele@contoso.example" };
    const denied = await broker("acquireTokenSilently", silent({ account: null, ...other }));
    assert.equal(denied.brokerTokenResponse.error.status, 2);
    const signedIn = await broker("acquireTokenInteractively", {
      ...silent({ account: null, ...other }),
      parentWindowHandle: 1,
    });
    assert.equal(signedIn.brokerTokenResponse.account.username, "adele@contoso.example");
    const again = await broker("acquireTokenSilently", silent({ account: null, ...other }));
    assert.equal(
      decodeJwtPayload(again.brokerTokenResponse.idToken).preferred_username,
      "adele@contoso.example",
    );
    const byDefault = await broker("acquireTokenSilently", silent({ account: null, username: "" }));
    assert.equal(byDefault.brokerTokenResponse.account.username, USER);
  });

  it("binds PoP tokens to popParams", async () => {
    const pop = {
      clientClaims: "",
      homeAccountId: "",
      httpMethod: "GET",
      nonce: "nonce123",
      uriHost: "graph.microsoft.com",
      uriPath: "/v1.0/me",
    };
    const { brokerTokenResponse: r } = await broker(
      "acquireTokenSilently",
      silent({ popParams: pop }),
    );
    assert.equal(r.accessTokenType, 1);
    const shr = decodeJwtPayload(r.accessToken);
    assert.equal(shr.m, "GET");
    assert.equal(shr.u, "graph.microsoft.com");
    assert.equal(shr.p, "/v1.0/me");
    assert.equal(shr.nonce, "nonce123");
    assert.ok((shr.cnf as any).jwk.n);
    assert.ok((decodeJwtPayload(shr.at as string).cnf as any).kid);
  });

  it("answers the other methods and removes accounts", async () => {
    assert.match(
      (await broker("getLinuxBrokerVersion", { msalCppVersion: "1" })).linuxBrokerVersion,
      /^\d/,
    );
    const cookie = await broker("acquirePrtSsoCookie", {
      account: { homeAccountId: HOME_ID },
      ssoUrl: "https://login.microsoftonline.com/?sso_nonce=abc",
    });
    assert.equal(cookie.cookieName, "x-ms-RefreshTokenCredential");
    assert.equal(decodeJwtPayload(cookie.cookieContent).request_nonce, "abc");
    const shr = await broker("generateSignedHttpRequest", {
      account: { homeAccountId: HOME_ID },
      popParams: { httpMethod: "POST", uriHost: "h", uriPath: "/p", nonce: "" },
    });
    assert.equal(decodeJwtPayload(shr.signedHttpRequest).m, "POST");
    assert.deepEqual(await broker("cancelInteractiveFlow", {}), {});
    assert.deepEqual(
      await broker("removeAccount", { account: { homeAccountId: HOME_ID }, clientId: CLIENT }),
      {},
    );
    const after = await broker("acquireTokenSilently", silent());
    assert.deepEqual(Object.keys(after.brokerTokenResponse.error), [
      "context",
      "errorCode",
      "status",
      "subStatus",
      "tag",
    ]);
    assert.equal(after.brokerTokenResponse.error.status, 2);
    assert.equal((await control("POST", "/users/sign-in", { username: USER })).ok, true);
    assert.equal(
      (await broker("acquireTokenSilently", silent())).brokerTokenResponse.account.username,
      USER,
    );
  });

  it("accepts big-endian calls", async () => {
    const reply = await broker("getLinuxBrokerVersion", {}, 5000, false);
    assert.match(reply.linuxBrokerVersion, /emulator/);
    const log = (await control("GET", "/requests?method=getLinuxBrokerVersion")).requests.at(-1);
    assert.equal(log.correlationId, "corr-getLinuxBrokerVersion");
  });

  it("injects broker errors, D-Bus errors, delays, malformed and custom replies", async () => {
    await control("POST", "/faults", [
      {
        method: "acquireTokenSilently",
        kind: "error",
        status: 5,
        errorCode: 1234,
        tag: 42,
        context: "boom",
        subStatus: 7,
      },
      {
        method: "getAccounts",
        kind: "dbusError",
        name: "org.freedesktop.DBus.Error.Failed",
        message: "nope",
      },
      { method: "getLinuxBrokerVersion", kind: "delay", ms: 300 },
      { method: "acquireTokenInteractively", kind: "malformed" },
      { method: "removeAccount", kind: "reply", response: { custom: true }, count: 2 },
    ]);
    assert.deepEqual((await broker("acquireTokenSilently", silent())).brokerTokenResponse.error, {
      context: "boom",
      errorCode: 1234,
      status: 5,
      subStatus: 7,
      tag: 42,
    });
    await assert.rejects(
      broker("getAccounts", {}),
      (e: DBusError) => e.errorName === "org.freedesktop.DBus.Error.Failed",
    );
    const t0 = Date.now();
    await broker("getLinuxBrokerVersion", {});
    assert.ok(Date.now() - t0 >= 280);
    await assert.rejects(broker("acquireTokenInteractively", silent()), SyntaxError);
    assert.deepEqual(await broker("removeAccount", {}), { custom: true });
    assert.deepEqual(await broker("removeAccount", {}), { custom: true });
    assert.deepEqual((await control("GET", "/faults")).faults, []);
    assert.ok((await broker("acquireTokenSilently", silent())).brokerTokenResponse.idToken);
  });

  it("supports persistent, wildcard and removable faults, the log and reset", async () => {
    const { faults: [f] } = await control("POST", "/faults", {
      method: "*",
      kind: "error",
      status: 13,
      persistent: true,
    });
    assert.equal((await broker("getAccounts", {})).brokerTokenResponse.error.status, 13);
    assert.equal(
      (await broker("acquireTokenSilently", silent())).brokerTokenResponse.error.status,
      13,
    );
    assert.equal(
      (await client.call({
        destination: BROKER_BUS_NAME,
        path: "/",
        interface: "org.freedesktop.DBus.Peer",
        member: "Ping",
      })).length,
      0,
    );
    assert.equal((await control("DELETE", `/faults/${f.id}`)).ok, true);
    assert.equal((await control("POST", "/faults", { method: "x", kind: "bogus" })).status, 400);
    assert.equal((await control("GET", "/nowhere")).status, 404);
    const log = (await control("GET", "/requests?method=acquireTokenSilently")).requests.at(-1);
    assert.equal(log.correlationId, "corr-acquireTokenSilently");
    assert.equal(log.request.authParameters.clientId, CLIENT);
    assert.equal(log.reply.json.brokerTokenResponse.error.status, 13);
    assert.deepEqual(log.fault, { id: f.id, kind: "error" });
    const lines = readFileSync(join(dir, "log.jsonl"), "utf8").trim().split("\n");
    assert.ok(lines.length > 5 && JSON.parse(lines.at(-1)!).method);
    await control("PUT", "/users", [{ username: "a@x.example", signedIn: false }, {
      username: "b@x.example",
    }]);
    assert.deepEqual((await broker("getAccounts", {})).accounts.map((a: any) => a.username), [
      "b@x.example",
    ]);
    assert.equal(
      (await control("PUT", "/users", [{ username: "a" }, { username: "a" }])).status,
      400,
    );
    await control("POST", "/users/sign-in", { username: "a@x.example" });
    await control("POST", "/reset");
    assert.deepEqual((await control("GET", "/requests")).requests, []);
    assert.deepEqual((await broker("getAccounts", {})).accounts.map((a: any) => a.username), [
      "b@x.example",
    ]);
    await control("PUT", "/users", {
      users: [{
        username: USER,
        oid: HOME_ID.split(".")[0],
        givenName: "Test",
        familyName: "User",
      }],
    });
  });

  it("works with gdbus and dbus-send", async () => {
    const env = { DBUS_SESSION_BUS_ADDRESS: address };
    const out = await run("gdbus", [
      "call",
      "--session",
      "-d",
      BROKER_BUS_NAME,
      "-o",
      BROKER_OBJECT_PATH,
      "-m",
      `${BROKER_INTERFACE}.getAccounts`,
      "0.0",
      "c",
      JSON.stringify({ clientId: CLIENT }),
    ], env);
    assert.match(out, /testuser@contoso\.example/);
    const ping = await run("dbus-send", [
      "--session",
      "--print-reply",
      `--dest=${BROKER_BUS_NAME}`,
      BROKER_OBJECT_PATH,
      "org.freedesktop.DBus.Peer.Ping",
    ], env);
    assert.match(ping, /method return/);
  });

  it("hangs an interactive call until cancelInteractiveFlow is answered (status 8)", async () => {
    await control("POST", "/faults", { method: "acquireTokenInteractively", kind: "hang" });
    const interactive = broker("acquireTokenInteractively", {
      ...silent({ account: null }),
      parentWindowHandle: 1,
    });
    let settled = false;
    void interactive.finally(() => (settled = true)).catch(() => {});
    await sleep(300);
    assert.equal(settled, false, "the interactive call hangs");
    assert.deepEqual(await broker("cancelInteractiveFlow", {}), {});
    const canceled = await interactive;
    assert.equal(canceled.brokerTokenResponse.error.status, 8);
  });

  it("keeps an interactive call hung when cancelInteractiveFlow hangs too", async () => {
    await control("POST", "/faults", [
      { method: "acquireTokenInteractively", kind: "hang" },
      { method: "cancelInteractiveFlow", kind: "hang" },
    ]);
    const interactive = broker("acquireTokenInteractively", {
      ...silent({ account: null }),
      parentWindowHandle: 1,
    }, 1_500);
    await assert.rejects(broker("cancelInteractiveFlow", {}, 400), /timed out/);
    await assert.rejects(interactive, /timed out/);
    // The next answered cancel releases it (the caller has given up by then).
    assert.deepEqual(await broker("cancelInteractiveFlow", {}), {});
  });

  it("hangs, then dies mid-call (disconnect mode)", async () => {
    await control("POST", "/faults", [{ method: "getAccounts", kind: "hang" }, {
      method: "getAccounts",
      kind: "die",
    }]);
    await assert.rejects(broker("getAccounts", {}, 400), /timed out/);
    await assert.rejects(
      broker("getAccounts", {}),
      (e: Error) => e instanceof DBusError && e.errorName === "org.freedesktop.DBus.Error.NoReply",
    );
    assert.equal(emulator.connected, false);
    const [owned] = await client.call({
      destination: "org.freedesktop.DBus",
      path: "/org/freedesktop/DBus",
      interface: "org.freedesktop.DBus",
      member: "NameHasOwner",
      signature: "s",
      body: [BROKER_BUS_NAME],
    });
    assert.equal(owned, false);
  });

  it("CLI: writes the control URL and exits on a die fault", async () => {
    const controlFile = join(dir, "control-url");
    // Deno and Bun run the .ts source; Node 20 runs the tsc-built .js beside this test.
    const ext = import.meta.url.endsWith(".js") ? "js" : "ts";
    const script = join(ROOT, `scripts/broker_emulator.${ext}`);
    const args = "Deno" in globalThis ? ["run", "-A", "--quiet", script] : [script];
    const child = spawn(process.execPath, [...args, "--control-file", controlFile], {
      env: { ...process.env, DBUS_SESSION_BUS_ADDRESS: address },
      stdio: "ignore",
    });
    try {
      const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
      let cli = "";
      for (let i = 0; i < 100 && !cli; i++) {
        await sleep(100);
        try {
          cli = readFileSync(controlFile, "utf8").trim();
        } catch { /* not yet */ }
      }
      assert.match(cli, /^http:\/\/127\.0\.0\.1:\d+$/);
      await fetch(`${cli}/faults`, {
        method: "POST",
        body: JSON.stringify({ method: "acquireTokenSilently", kind: "die", exitCode: 9 }),
      });
      await assert.rejects(broker("acquireTokenSilently", silent()), DBusError);
      assert.equal(await exited, 9);
    } finally {
      if (child.exitCode === null && child.pid) process.kill(child.pid, "SIGKILL");
    }
  });
});

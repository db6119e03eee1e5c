/**
 * The npm build's declaration trimming (scripts/npm_declarations.ts): what the entry points
 * export, and what that refers to, is kept with its JSDoc; everything else goes, and imports
 * are narrowed to the names still used.
 */

import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { trimDeclarations } from "../../scripts/npm_declarations.ts";

const FILES: Record<string, string> = {
  "mod.d.ts": [
    `export { Client, type Options } from "./src/client.js";`,
    `export * from "./src/starred.js";`,
  ].join("\n"),
  "src/client.d.ts": [
    `import { type Helper, helper, type Unused } from "./helpers.js";`,
    `import type { Secret } from "./secret.js";`,
    `/** Options of {@link Client}. */`,
    `export interface Options { /** Docs of retries. */ retries?: number; helper?: Helper; }`,
    `/** The client. */`,
    `export declare class Client { constructor(options: Options); private secret; run(): typeof helper; }`,
    `/** Internal: no entry exports it. */`,
    `export declare function internal(secret: Secret, unused: Unused): void;`,
  ].join("\n"),
  "src/helpers.d.ts": [
    `/** A helper type. */`,
    `export type Helper = { name: string };`,
    `/** The helper. */`,
    `export declare function helper(): Helper;`,
    `/** Long internal documentation that must not ship. */`,
    `export type Unused = { never: true };`,
  ].join("\n"),
  "src/secret.d.ts": `/** Only internal() uses it. */\nexport type Secret = string;`,
  "src/starred.d.ts": `/** Star-exported. */\nexport declare const STAR = 1;`,
  "src/orphan.d.ts": `/** Nothing imports this file. */\nexport declare const ORPHAN = 2;`,
};

describe("trimDeclarations", () => {
  let dir: string;
  const read = (file: string) => readFileSync(join(dir, file), "utf8");
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "entra-auth-dts-"));
    mkdirSync(join(dir, "src"));
    for (const [file, text] of Object.entries(FILES)) writeFileSync(join(dir, file), text);
    trimDeclarations(
      [join(dir, "mod.d.ts")],
      Object.keys(FILES).map((f) => join(dir, f)),
    );
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("keeps the exported declarations and what they refer to, with their JSDoc", () => {
    assert.match(read("src/client.d.ts"), /\/\*\* The client\. \*\/\nexport declare class Client/);
    assert.match(read("src/client.d.ts"), /\/\*\* Docs of retries\. \*\//);
    assert.match(read("src/helpers.d.ts"), /\/\*\* A helper type\. \*\/\nexport type Helper/);
    assert.match(read("src/helpers.d.ts"), /export declare function helper/);
    assert.match(read("src/starred.d.ts"), /STAR/);
    assert.equal(read("mod.d.ts").trim(), FILES["mod.d.ts"]);
  });

  it("drops what nothing public reaches, and narrows the imports", () => {
    assert.doesNotMatch(read("src/client.d.ts"), /internal/i);
    assert.doesNotMatch(read("src/helpers.d.ts"), /Unused|must not ship/);
    assert.match(
      read("src/client.d.ts"),
      /^import \{ type Helper, helper \} from "\.\/helpers\.js";/,
    );
    assert.doesNotMatch(read("src/client.d.ts"), /secret\.js/);
  });

  it("deletes the files left with nothing public", () => {
    assert.equal(existsSync(join(dir, "src/secret.d.ts")), false);
    assert.equal(existsSync(join(dir, "src/orphan.d.ts")), false);
  });
});

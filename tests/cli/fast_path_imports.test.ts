/**
 * What a token from the cache loads: the static import graph of the command line's entry and
 * of the token fast path (read from the sources) holds no broker binding, no network flow, no
 * application object, no lock, and no `node:` module at all (Deno pays 15–20 ms for its first
 * `node:` import, Bun 2.5–4 ms for `node:fs`; Node's process host imports `node:fs` when it is
 * made, in Node only). Everything else is reached by `import()` only.
 */

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { describe, it } from "node:test";
import { repoPath, repoRoot } from "../support/paths.ts";

/** The modules reached from `entry` by static imports (type-only imports left out). */
function staticGraph(entry: string): Set<string> {
  const seen = new Set<string>();
  const pending = [entry];
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    if (file.startsWith("node:")) continue;
    const text = readFileSync(file, "utf8");
    const pattern = /^(?:import|export)\s+(?!type\b)(?:[^"';]*?\sfrom\s+)?["']([^"']+)["']/gm;
    for (const [, specifier] of text.matchAll(pattern)) {
      pending.push(specifier.startsWith(".") ? join(dirname(file), specifier) : specifier);
    }
  }
  return new Set([...seen].map((f) => (f.startsWith("node:") ? f : relative(repoRoot, f))));
}

describe("the token fast path's imports", () => {
  it("load no broker, network, application, lock or node: module", () => {
    const graph = new Set([
      ...staticGraph(repoPath("src", "cli", "bin.ts")),
      ...staticGraph(repoPath("src", "cli", "token_from_cache.ts")),
    ]);
    for (const host of ["deno", "bun", "node"]) {
      assert.ok(graph.has(join("ffi", "host", `${host}.ts`)), `the ${host} host is in the graph`);
    }
    assert.ok(graph.has(join("src", "cache", "token_cache.ts")), [...graph].join(" "));
    const forbidden = [...graph].filter((m) =>
      m.startsWith("node:")
      || /^(src[/\\](broker|flows|network[/\\]client|cli[/\\](main|session|commands))|ffi[/\\](msalruntime|backends|keyring))/
        .test(m)
      || /public_client_application|persistence[/\\](lock|persistent_cache|atomic_file)\.ts$/
        .test(m)
    );
    assert.deepEqual(forbidden, []);
    assert.ok(graph.size < 40, `${graph.size} modules`);
  });
});

/**
 * Trims the compiled `.d.ts` files of an npm package to its public API: the declarations its
 * entry points export and those they reference, each with its JSDoc (which editors show), and
 * nothing else. tsc writes a declaration for every export of every module, internal helpers
 * and their documentation included; a user's compiler and editor only ever reach what the
 * entry points export. Statements nothing public reaches are dropped, imports are narrowed to
 * the names still used, and files left empty are deleted.
 *
 * The TypeScript compiler resolves each name, so a declaration kept is one a public type
 * really refers to; the consumer test type-checks the result with `skipLibCheck: false`.
 *
 * @example
 * ```ts ignore
 * import { trimDeclarations } from "./npm_declarations.ts";
 * const kept = trimDeclarations(["npm/mod.d.ts"], ["npm/mod.d.ts", "npm/src/errors.d.ts"]);
 * ```
 *
 * @module
 */

import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import process from "node:process";
import type * as TS from "typescript";

// The pinned compiler of the repository's node_modules (found from scripts/ or from its
// compiled copy in npm/scripts/).
const ts = createRequire(import.meta.url)("typescript") as typeof TS;

/**
 * Trims the declarations under `root` reachable from `entries`.
 *
 * @param entries the entry points' `.d.ts` files
 * @param files every `.d.ts` file of the package (entries included): each is trimmed, or
 *   deleted when nothing public is left in it
 * @returns the `.d.ts` files kept, absolute
 * @example
 * ```ts ignore
 * trimDeclarations(["npm/mod.d.ts"], ["npm/mod.d.ts", "npm/src/errors.d.ts"]);
 * ```
 */
export function trimDeclarations(entries: string[], files: string[]): string[] {
  const roots = entries.map((e) => resolve(e));
  const owned = new Set(files.map((f) => resolve(f)));
  const program = ts.createProgram(roots, {
    noEmit: true,
    skipLibCheck: true,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    types: [], // the runtimes' types are not ours to trim, and need not be resolved
  });
  const checker = program.getTypeChecker();
  const ours = (sf: TS.SourceFile) => owned.has(resolve(sf.fileName));

  const kept = new Set<TS.Node>(); // top-level statements kept
  const usedImports = new Set<TS.Node>(); // import specifiers, clauses and namespace imports
  const queue: TS.Node[] = [];

  function topLevel(node: TS.Node): TS.Node | undefined {
    let at: TS.Node = node;
    while (at.parent && !ts.isSourceFile(at.parent)) at = at.parent;
    return at.parent ? at : undefined;
  }
  function keep(declaration: TS.Node): void {
    if (!ours(declaration.getSourceFile())) return;
    if (
      ts.isImportSpecifier(declaration) || ts.isImportClause(declaration)
      || ts.isNamespaceImport(declaration) || ts.isImportEqualsDeclaration(declaration)
    ) {
      usedImports.add(declaration);
      return;
    }
    const statement = topLevel(declaration);
    if (!statement || kept.has(statement)) return;
    kept.add(statement);
    queue.push(statement);
  }
  function keepSymbol(symbol: TS.Symbol | undefined): void {
    let at = symbol;
    const seen = new Set<TS.Symbol>();
    while (at && !seen.has(at)) {
      seen.add(at);
      for (const d of at.declarations ?? []) keep(d);
      if (!(at.flags & ts.SymbolFlags.Alias)) break;
      at = checker.getImmediateAliasedSymbol(at);
    }
  }
  function keepModuleExports(specifier: TS.Expression): void {
    const module = checker.getSymbolAtLocation(specifier);
    if (module) { for (const s of checker.getExportsOfModule(module)) keepSymbol(s); }
  }
  function visit(node: TS.Node): void {
    if (ts.isIdentifier(node)) keepSymbol(checker.getSymbolAtLocation(node));
    else if (ts.isExportDeclaration(node) && !node.exportClause && node.moduleSpecifier) {
      keepModuleExports(node.moduleSpecifier);
    } else if (ts.isImportTypeNode(node) && !node.qualifier) {
      const literal = ts.isLiteralTypeNode(node.argument) ? node.argument.literal : undefined;
      if (literal) keepModuleExports(literal);
    }
    ts.forEachChild(node, visit);
  }

  for (const entry of roots) {
    const sf = program.getSourceFile(entry);
    if (!sf) throw new Error(`trimDeclarations: ${entry} is not a declaration file tsc can read`);
    for (const statement of sf.statements) {
      if (!ts.isImportDeclaration(statement)) keep(statement);
    }
  }
  while (queue.length) visit(queue.pop()!);

  const written: string[] = [];
  for (const sf of program.getSourceFiles()) {
    if (!ours(sf)) continue;
    const text = sf.getFullText();
    const parts: string[] = [];
    let exported = false;
    for (const statement of sf.statements) {
      if (ts.isImportDeclaration(statement)) {
        const narrowed = narrowImport(statement, text, usedImports);
        if (narrowed) parts.push(narrowed);
      } else if (kept.has(statement)) {
        parts.push(text.slice(statement.getFullStart(), statement.getEnd()));
        exported = true;
      }
    }
    if (!exported) continue;
    writeFileSync(sf.fileName, parts.join("").replace(/^\s+/, "") + "\n");
    written.push(resolve(sf.fileName));
  }
  for (const file of owned) if (!written.includes(file)) rmSync(file, { force: true });
  return written;
}

// The import declaration with only the names still used, or undefined when none is.
function narrowImport(
  statement: TS.ImportDeclaration,
  text: string,
  used: Set<TS.Node>,
): string | undefined {
  const clause = statement.importClause;
  if (!clause) return undefined;
  const from = text.slice(statement.moduleSpecifier.getStart(), statement.moduleSpecifier.getEnd());
  const typeOnly = clause.isTypeOnly ? "type " : "";
  const bindings = clause.namedBindings;
  if (bindings && ts.isNamespaceImport(bindings)) {
    return used.has(bindings)
      ? `\nimport ${typeOnly}* as ${bindings.name.text} from ${from};`
      : undefined;
  }
  const names = bindings && ts.isNamedImports(bindings)
    ? bindings.elements.filter((e) => used.has(e)).map((e) => e.getText())
    : [];
  const head = clause.name && used.has(clause) ? clause.name.text : "";
  if (!head && !names.length) return undefined;
  const list = names.length ? `{ ${names.join(", ")} }` : "";
  return `\nimport ${typeOnly}${[head, list].filter(Boolean).join(", ")} from ${from};`;
}

// Run directly on a copy of a package folder: trims it and reports what is left.
if (import.meta.main) {
  const [root, ...entries] = process.argv.slice(2);
  if (!root || !entries.length) throw new Error("usage: npm_declarations.ts ROOT ENTRY.d.ts...");
  const all = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? all(join(dir, e.name)) : e.name.endsWith(".d.ts") ? [join(dir, e.name)] : []
    );
  const files = trimDeclarations(entries, all(root));
  const bytes = files.reduce((n, f) => n + readFileSync(f).length, 0);
  console.log(`${files.length} files, ${bytes} bytes`);
}

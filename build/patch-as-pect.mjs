#!/usr/bin/env node
// Make as-pect 8.1.0 work on AssemblyScript 0.28. A development step, run by `npm run test:core`
// before `asp` (and safe to run by hand: `node build/patch-as-pect.mjs`). It is not a postinstall:
// build/ is not in the published package, and a user's install must not run it.
//
// as-pect's AST transform (@as-pect/transform, and @as-covers/transform which as-pect loads when
// coverage is on) was compiled by tsc with AssemblyScript 0.27's `const enum`s inlined, e.g.
//   if (statement.kind === 51 /* NodeKind.ClassDeclaration */)
// AssemblyScript 0.28 renumbered NodeKind (ClassDeclaration 51→52, FieldDeclaration 54→55,
// MethodDeclaration 58→59, NamespaceDeclaration 59→60, Block 30→31, Export 35→36, …), so the
// transform silently stops seeing classes and `expect(someObject)` fails to compile.
//
// This script rewrites every inlined constant of the form `<number> /* <Enum>.<Member> */` to the
// value the installed assemblyscript exports for <Enum>.<Member> (NodeKind, Token, CommonFlags, …).
// The comment stays, so running it again is a no-op (idempotent), and running it against AS 0.27
// would put the 0.27 numbers back. It prints one line; without as-pect installed it exits 0 silently.

import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const TRANSFORMS = ["@as-pect/transform", "@as-covers/transform"];
const LIBS = ["lib", "dist"]; // compiled output folders of the transforms and of visitor-as

/** The directory of `name` as Node would find it from `fromDir` (walking up node_modules). */
function findPackage(name, fromDir) {
  for (let dir = fromDir; ; ) {
    const candidate = join(dir, "node_modules", name);
    if (existsSync(join(candidate, "package.json"))) return candidate;
    const up = dirname(dir);
    if (up === dir) return null;
    dir = up;
  }
}

// every copy of the transforms that as-pect could load (top level, or nested under the cli)
const cliDir = findPackage("@as-pect/cli", root);
const transformDirs = new Set();
for (const name of TRANSFORMS) {
  for (const from of [root, cliDir, cliDir && findPackage("@as-pect/core", cliDir)]) {
    const dir = from && findPackage(name, from);
    if (dir) transformDirs.add(dir);
  }
}
// the coverage transform walks the AST through visitor-as, which has the same inlined constants
for (const dir of [...transformDirs]) {
  const visitor = findPackage("visitor-as", dir);
  if (visitor) transformDirs.add(visitor);
}
if (!cliDir && transformDirs.size === 0) process.exit(0); // as-pect is not installed: nothing to do
if (transformDirs.size === 0) {
  console.log("patch-as-pect: @as-pect/cli found but no as-pect transform; nothing to do");
  process.exit(0);
}

const CONSTANT = /\b(\d+)( \/\* ([A-Za-z]+)\.([A-Za-z_$][\w$]*) \*\/)/g;
const enumsCache = new Map(); // assemblyscript dir -> module namespace

let filesChanged = 0;
let rewritten = 0;
const unknown = new Set();
const changes = new Map(); // "NodeKind.ClassDeclaration 51→52" -> count
const versions = new Set();

for (const dir of transformDirs) {
  // the assemblyscript this transform imports (`assemblyscript/dist/…`), resolved from its own dir
  const asDir = findPackage("assemblyscript", dir);
  if (!asDir) {
    console.log(`patch-as-pect: assemblyscript not found for ${relative(root, dir)}; left unpatched`);
    continue;
  }
  if (!enumsCache.has(asDir)) {
    const entry = join(asDir, "dist", "assemblyscript.js");
    enumsCache.set(asDir, await import(pathToFileURL(entry).href));
  }
  const as = enumsCache.get(asDir);
  versions.add(JSON.parse(readFileSync(join(asDir, "package.json"), "utf8")).version);

  const files = LIBS.flatMap((lib) =>
    existsSync(join(dir, lib)) ? readdirSync(join(dir, lib)).map((f) => join(dir, lib, f)) : [],
  );
  for (const path of files) {
    if (!path.endsWith(".js")) continue;
    const source = readFileSync(path, "utf8");
    const patched = source.replace(CONSTANT, (match, num, comment, enumName, member) => {
      const table = as[enumName];
      const value = table && typeof table === "object" ? table[member] : undefined;
      if (typeof value !== "number") {
        unknown.add(`${enumName}.${member}`);
        return match;
      }
      if (String(value) === num) return match;
      const key = `${enumName}.${member} ${num}→${value}`;
      changes.set(key, (changes.get(key) ?? 0) + 1);
      rewritten++;
      return `${value}${comment}`;
    });
    if (patched !== source) {
      writeFileSync(path, patched);
      filesChanged++;
    }
  }
}

const asv = [...versions].join("/") || "?";
const extra = unknown.size ? `; unknown to assemblyscript, left as is: ${[...unknown].join(", ")}` : "";
if (rewritten === 0) {
  console.log(`patch-as-pect: as-pect transforms already match assemblyscript ${asv}, nothing to do${extra}`);
} else {
  const kinds = [...new Set([...changes.keys()].map((k) => k.split(".")[0]))].join(", ");
  console.log(
    `patch-as-pect: rewrote ${rewritten} inlined ${kinds} constants in ${filesChanged} files for assemblyscript ${asv}${extra}`,
  );
}

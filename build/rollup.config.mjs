// Bundles src/ into dist/: the ESM entry (core inlined, instantiated with top-level await), the
// CommonJS entry (core compiled synchronously), the manual entry (no bytes: initCore), their
// per-host variants (index.browser, manual.browser, manual.workerd: one host's driver), and the
// core as a file (dist/core.wasm). Then build/node-entry.mjs writes dist/index.node.mjs (Node's
// ESM entry, re-exporting the CommonJS instance) and `tsc -p tsconfig.types.json` the types.

import typescript from "@rollup/plugin-typescript";
import { chmodSync, existsSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";

const ts = () =>
  typescript({
    tsconfig: "./tsconfig.json",
    compilerOptions: { noEmit: false, declaration: false, sourceMap: false },
    include: ["src/**/*.ts"],
  });

const emitCoreWasm = {
  name: "emit-core-wasm",
  generateBundle() {
    this.emitFile({ type: "asset", fileName: "core.wasm", source: readFileSync("build/out/core.wasm") });
  },
};

// The CLI (dist/cli.mjs, the `wasyncio` bin) and wasyncio/testing (dist/testing.mjs) run user code
// that imports 'wasyncio', so they must use that same instance (one running loop, one Task class):
// every import they make of the library stays an import of the package itself, 'wasyncio'
// (a package resolves its own name), never a second bundled copy. Only their own files
// (src/cli/*, src/testing.ts) are bundled; a CLI command module not written yet (replay.ts,
// diff.ts) becomes an empty module, and the CLI says the command is missing.
const ownFiles = /\/src\/(cli\/[^/]+|testing)\.ts$/;
const usePackage = {
  name: "use-the-package",
  resolveId(source, importer) {
    if (!importer || !ownFiles.test(importer.replaceAll("\\", "/")) || !source.startsWith(".")) return null;
    const target = resolve(dirname(importer), source.replace(/\.js$/, ".ts")).replaceAll("\\", "/");
    if (ownFiles.test(target)) return existsSync(target) ? target : "\0missing-command";
    return { id: "wasyncio", external: true };
  },
  load(id) {
    return id === "\0missing-command" ? "export {};" : null;
  },
  // the bin is run directly (npx in this checkout, a shell): make it executable, as npm's install does
  writeBundle(options, bundle) {
    if (bundle["cli.mjs"]) chmodSync(resolve(options.dir, "cli.mjs"), 0o755);
  },
};

export default [
  {
    // per-host entries (package.json conditions): the same API, registering one host's driver,
    // so a bundler building for that host tree-shakes the other drivers out. Everything but the
    // entries is ONE shared chunk (wasyncio-[hash].mjs): with the drivers in chunks of their own,
    // the hot path crosses chunk boundaries (imported bindings) and W3 measured ~6% slower.
    input: {
      index: "src/index.ts",
      manual: "src/manual.ts",
      "index.browser": "src/index-browser.ts",
      "manual.browser": "src/manual-browser.ts",
      "manual.workerd": "src/manual-workerd.ts",
    },
    output: {
      dir: "dist",
      format: "es",
      entryFileNames: "[name].mjs",
      chunkFileNames: "wasyncio-[hash].mjs",
      manualChunks: (id) => (/\/src\/(index|manual)[^/]*\.ts$/.test(id.replaceAll("\\", "/")) ? undefined : "wasyncio"),
    },
    plugins: [ts(), emitCoreWasm],
  },
  {
    input: "src/entry-cjs.ts",
    output: { file: "dist/index.cjs", format: "cjs", exports: "named" },
    plugins: [ts()],
  },
  {
    input: { cli: "src/cli/bin.ts", testing: "src/testing.ts" },
    output: {
      dir: "dist",
      format: "es",
      entryFileNames: "[name].mjs",
      chunkFileNames: "wasyncio-tools-[hash].mjs",
      banner: (chunk) => (chunk.name === "cli" ? "#!/usr/bin/env node" : ""),
    },
    external: (id) => id === "wasyncio" || id.startsWith("node:") || id === "vitest",
    plugins: [usePackage, ts()],
  },
];

// Bundles src/ into dist/: the ESM entry (core inlined, instantiated with top-level await), the
// CommonJS entry (core compiled synchronously), the manual entry (no bytes: initCore), and the
// core as a file (dist/core.wasm). Then build/node-entry.mjs writes dist/index.node.mjs (Node's
// ESM entry, re-exporting the CommonJS instance) and `tsc -p tsconfig.types.json` the types.

import typescript from "@rollup/plugin-typescript";
import { readFileSync } from "node:fs";

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

export default [
  {
    input: { index: "src/index.ts", manual: "src/manual.ts" },
    output: { dir: "dist", format: "es", entryFileNames: "[name].mjs", chunkFileNames: "wasyncio-[hash].mjs" },
    plugins: [ts(), emitCoreWasm],
  },
  {
    input: "src/entry-cjs.ts",
    output: { file: "dist/index.cjs", format: "cjs", exports: "named" },
    plugins: [ts()],
  },
];

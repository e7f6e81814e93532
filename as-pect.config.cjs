// as-pect configuration for the scheduler core's unit tests: `npm run test:core`
// (= `asp --config as-pect.config.cjs`). Run `node build/patch-as-pect.mjs` (the postinstall) once
// first: as-pect 8.1.0's transform hardcodes AssemblyScript 0.27 NodeKind numbers.
//
// The compiler options come from ./as-pect.asconfig.json (asp's default `--as-config`), which
// extends ./asconfig.json — the plain, WASI-free build of assembly/index.ts.
module.exports = {
  /** Every spec file is compiled and instantiated on its own (one fresh core per file). */
  entries: ["assembly/__tests__/**/*.spec.ts"],
  /** Files added to every compilation (none today). */
  include: ["assembly/__tests__/**/*.include.ts"],
  disclude: [/node_modules/],
  /** The core imports nothing but `env.abort` (supplied by as-pect's createImports). */
  async instantiate(memory, createImports, instantiate, binary) {
    return instantiate(binary, createImports({ env: { memory } }));
  },
  outputBinary: false,
};

// Bundle worker.mjs with wasyncio/manual into out/worker.mjs, as wrangler would: the core
// ("wasyncio/core.wasm") and "cloudflare:*" stay imports, which workerd resolves from the
// config's modules. Usage: node examples/workerd/build.mjs [outfile]
import { build } from "esbuild";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
await build({
  entryPoints: [join(here, "worker.mjs")],
  outfile: process.argv[2] ?? join(here, "out/worker.mjs"),
  bundle: true,
  format: "esm",
  platform: "neutral",
  target: "es2022",
  external: ["*.wasm", "cloudflare:*"],
  logLevel: "warning",
});

// The built package, as users load it: the ESM entry (core inlined, top-level await), the
// CommonJS entry (synchronous compile), and wasyncio/manual with initCore(module) — each in a
// fresh Node process, through the package's own "exports" map. `npm test` builds dist/ first.

import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../..", import.meta.url));
const node = (args: string[]) => execFileSync(process.execPath, args, { cwd: root, encoding: "utf8" }).trim();
const built = existsSync(`${root}/dist/index.mjs`);

describe.runIf(built)("package entries (dist/)", () => {
  it("ESM: import from 'wasyncio' runs a program", () => {
    const out = node([
      "--input-type=module",
      "-e",
      `import { runSync, sleep } from "wasyncio";
       console.log(runSync(function* () { yield* sleep(10); return "esm ok"; }));`,
    ]);
    expect(out).toBe("esm ok");
  });

  it("CommonJS: require('wasyncio') compiles the core synchronously", () => {
    const out = node([
      "-e",
      `const { runSync, sleep } = require("wasyncio");
       console.log(runSync(function* () { yield* sleep(10); return "cjs ok"; }));`,
    ]);
    expect(out).toBe("cjs ok");
  });

  it("manual: a loop before initCore fails clearly; after initCore(module) it runs", () => {
    const out = node([
      "--input-type=module",
      "-e",
      `import { readFileSync } from "node:fs";
       import { initCore, newEventLoop, runSync, sleep } from "wasyncio/manual";
       try { newEventLoop(); } catch (e) { console.log(e.name + ": " + /initCore/.test(e.message)); }
       await initCore(new WebAssembly.Module(readFileSync("dist/core.wasm")));
       console.log(runSync(function* () { yield* sleep(1); return "manual ok"; }));`,
    ]);
    expect(out.split("\n")).toEqual(["RuntimeError: true", "manual ok"]);
  });

  it("npm start's example prints the asyncio hello world in order", () => {
    const out = node(["examples/hello.mjs"]);
    expect(out.split("\n")).toEqual([
      "Starting wasyncio application...",
      "Hello, Alice!",
      "Hello, Bob!",
      "Goodbye, Alice!",
      "Goodbye, Bob!",
      "wasyncio application finished.",
    ]);
  });
});

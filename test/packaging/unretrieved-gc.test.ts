// "Task exception was never retrieved" is reported when the task is garbage-collected, exactly
// once (and not again when the loop closes). Needs a real GC: a child Node with --expose-gc.

import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../..", import.meta.url));
const built = existsSync(`${root}/dist/index.mjs`);

const script = (core: string) => `
import { newEventLoop, sleep } from "wasyncio";
const loop = newEventLoop({ clock: "virtual", core: "${core}" });
const reports = [];
loop.setExceptionHandler((l, ctx) => reports.push(ctx.message.split(":")[0] + " | " + ctx.exception.message));
(() => { loop.createTask((function* () { yield* sleep(1); throw new Error("lost"); })()); })();
await loop.runUntilComplete(sleep(2));
for (let i = 0; i < 50 && reports.length === 0; i++) {
  globalThis.gc();
  await new Promise((r) => setTimeout(r, 5));
}
loop.close();
console.log(JSON.stringify(reports));
`;

describe.runIf(built)("unretrieved exceptions and the garbage collector", () => {
  for (const core of ["wasm", "js"]) {
    it(`${core} core: a failed task collected unretrieved is reported once`, () => {
      const out = execFileSync(process.execPath, ["--expose-gc", "--input-type=module", "-e", script(core)], {
        cwd: root,
        encoding: "utf8",
      });
      expect(JSON.parse(out)).toEqual(["Task exception was never retrieved | lost"]);
    });
  }
});

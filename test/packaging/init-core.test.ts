// initCore / initCoreSync take only wasyncio's core (issue 6, item 6): a module without the
// core's exports (or needing imports wasyncio does not supply), something that is neither a
// Module nor bytes, and bytes that do not compile are all refused, and the core set before stays
// in use. A loop before any core is a RuntimeError that says to call initCore first.
//
// In-process against src/manual.ts (each vitest file has its own module state, and manual.ts
// does not initialise the core), then once in a child process against dist/manual.mjs.

import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import vm from "node:vm";
import { describe, expect, it } from "vitest";
import { initCoreSync } from "../../src/core/wasm.ts";
import { RuntimeError, initCore, newEventLoop, run, runSync, sleep } from "../../src/manual.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));
const coreFile = `${root}/build/out/core.wasm`;
const haveCore = existsSync(coreFile);

const HEADER = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
/** A valid module with nothing in it. */
const EMPTY = new Uint8Array(HEADER);
/** A module importing env.f (a function) and exporting nothing. */
const IMPORTS_ENV = new Uint8Array([
  ...HEADER,
  ...[0x01, 0x04, 0x01, 0x60, 0x00, 0x00], // type section: () -> ()
  ...[0x02, 0x09, 0x01, 0x03, 0x65, 0x6e, 0x76, 0x01, 0x66, 0x00, 0x00], // import "env" "f" func 0
]);
/** A module exporting a function named "memory". */
const MEMORY_IS_A_FUNCTION = new Uint8Array([
  ...HEADER,
  ...[0x01, 0x04, 0x01, 0x60, 0x00, 0x00], // type section: () -> ()
  ...[0x03, 0x02, 0x01, 0x00], // function section: one function of type 0
  ...[0x07, 0x0a, 0x01, 0x06, 0x6d, 0x65, 0x6d, 0x6f, 0x72, 0x79, 0x00, 0x00], // export "memory" func 0
  ...[0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b], // code section: empty body
]);
const GARBAGE = new Uint8Array([1, 2, 3, 4]);
const NOT_SOURCES: unknown[] = [undefined, null, 42, "core.wasm", {}, [0, 97, 115, 109], Promise.resolve(EMPTY), new Blob([EMPTY])];

/** Rejection or synchronous throw, as the error. */
async function failure(fn: () => unknown): Promise<unknown> {
  try {
    await fn();
  } catch (e) {
    return e;
  }
  throw new Error("expected a failure");
}

function loopWorks(): void {
  expect(runSync(function* () {
    yield* sleep(5);
    return "still works";
  })).toBe("still works");
}

describe.runIf(haveCore)("initCore and initCoreSync check what they are given (src/manual.ts)", () => {
  // the tests run in order: first without a core, then with one
  it("before initCore, a loop is a RuntimeError saying to call initCore first", async () => {
    for (const fn of [() => newEventLoop(), () => runSync(function* () {}), () => run(function* () {})]) {
      const err = await failure(fn);
      expect(err).toBeInstanceOf(RuntimeError);
      expect(String((err as Error).message)).toMatch(/call initCore\(module\) from 'wasyncio\/manual' first/);
    }
    // the reference core needs nothing
    newEventLoop({ core: "js" }).close();
  });

  it("something that is neither a Module nor bytes: TypeError (initCore rejects, initCoreSync throws)", async () => {
    for (const bad of NOT_SOURCES) {
      const err = await failure(() => initCore(bad as never));
      expect(err).toBeInstanceOf(TypeError);
      expect(String((err as Error).message)).toMatch(/initCore\(source\): source must be a WebAssembly\.Module/);
      expect(() => initCoreSync(bad as never)).toThrow(/initCoreSync\(source\): source must be a WebAssembly\.Module/);
    }
    expect(() => newEventLoop()).toThrow(RuntimeError);
  });

  it("a module that is not the core: TypeError naming what is missing, nothing installed", async () => {
    const err = await failure(() => initCore(new WebAssembly.Module(EMPTY)));
    expect(err).toBeInstanceOf(TypeError);
    const message = String((err as Error).message);
    for (const name of ["memory (memory)", "_initialize (function)", "statePtr", "tick", "reset"]) {
      expect(message).toContain(name);
    }
    expect(() => newEventLoop()).toThrow(RuntimeError);
  });

  it("initCore(core bytes) and initCore(core Module) install the core", async () => {
    const bytes = readFileSync(coreFile);
    await initCore(bytes);
    loopWorks();
    await initCore(new WebAssembly.Module(bytes));
    loopWorks();
  });

  it("a wrong module after a good one: TypeError, and the previous core is kept", async () => {
    const cases: [string, WebAssembly.Module | Uint8Array, RegExp][] = [
      ["empty Module", new WebAssembly.Module(EMPTY), /missing exports: memory \(memory\), _initialize \(function\)/],
      ["empty bytes", EMPTY, /missing exports: memory/],
      ["foreign imports", new WebAssembly.Module(IMPORTS_ENV), /imports that wasyncio does not supply: env\.f \(function\)/],
      ["wrong kind", MEMORY_IS_A_FUNCTION, /export 'memory' is a function, not a memory/],
    ];
    for (const [label, source, pattern] of cases) {
      const before = newEventLoop({ clock: "virtual" }); // made before the refusal
      const err = await failure(() => initCore(source));
      expect(err, label).toBeInstanceOf(TypeError);
      expect(String((err as Error).message), label).toMatch(pattern);
      expect(String((err as Error).message), label).toMatch(/previous core is kept/);
      loopWorks();
      expect(() => initCoreSync(source), label).toThrow(pattern);
      loopWorks();
      await expect(before.runUntilComplete(sleep(1, label))).resolves.toBe(label);
      before.close();
    }
  });

  it("bytes that do not compile: CompileError, previous core kept", async () => {
    expect(await failure(() => initCore(GARBAGE))).toBeInstanceOf(WebAssembly.CompileError);
    loopWorks();
    expect(() => initCoreSync(GARBAGE)).toThrow(WebAssembly.CompileError);
    loopWorks();
  });

  it("a core Module from another realm (vm context) is accepted; a foreign non-core one is refused", async () => {
    const bytes = readFileSync(coreFile);
    const foreign = vm.runInNewContext("new WebAssembly.Module(bytes)", { bytes: new Uint8Array(bytes) });
    expect(foreign instanceof WebAssembly.Module).toBe(false);
    await initCore(foreign);
    loopWorks();
    initCoreSync(foreign);
    loopWorks();
    const empty = vm.runInNewContext("new WebAssembly.Module(bytes)", { bytes: EMPTY });
    expect(await failure(() => initCore(empty))).toBeInstanceOf(TypeError);
    loopWorks();
  });
});

describe.runIf(existsSync(`${root}/dist/manual.mjs`))("initCore through wasyncio/manual (dist/)", () => {
  it("refuses an empty module and a non-source with TypeError, keeps the core it has", () => {
    const out = execFileSync(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        `import { readFileSync } from "node:fs";
         import { initCore, newEventLoop, runSync, sleep } from "wasyncio/manual";
         const empty = new WebAssembly.Module(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]));
         const report = async (p) => { try { await p; console.log("accepted"); } catch (e) { console.log(e.name + ": " + e.message.split(" (")[0]); } };
         await report(initCore(empty));
         try { newEventLoop(); } catch (e) { console.log(e.name); }
         await initCore(readFileSync("dist/core.wasm"));
         await report(initCore(empty));
         await report(initCore("dist/core.wasm"));
         console.log(runSync(function* () { yield* sleep(1); return "kept"; }));`,
      ],
      { cwd: root, encoding: "utf8" },
    ).trim();
    expect(out.split("\n")).toEqual([
      "TypeError: initCore(source): this WebAssembly module is not wasyncio's core",
      "RuntimeError",
      "TypeError: initCore(source): this WebAssembly module is not wasyncio's core",
      "TypeError: initCore(source): source must be a WebAssembly.Module",
      "kept",
    ]);
  });
});

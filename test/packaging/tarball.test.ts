// The published package, as a user gets it (issue 6, items 1 and 4): `npm pack` the checkout,
// `npm install` the tarball into an empty temporary project with install scripts enabled, then run
// the README example through the ESM entry, the CommonJS entry and wasyncio/manual, a program
// mixing import and require(), and tsc against the shipped declarations. `npm test` builds dist/
// first; the pack itself runs no scripts (`prepare` would rebuild dist/ under the other suites).

import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { childEnv, npm, packAndInstall } from "./npm.ts";
import { MIXED, MIXED_EXPECTED, README_CJS, README_ESM, README_OUTPUT, readmeManual } from "./programs.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));
const built = existsSync(join(root, "dist", "index.mjs"));

let work = "";
let project = "";
let packed: { filename: string; files: { path: string }[] } | null = null;

const inProject = (cmd: string, args: string[], input?: string) =>
  execFileSync(cmd, args, { cwd: project, encoding: "utf8", env: childEnv(), input, timeout: 60_000 }).trim();

describe.runIf(built)("the packed package installs and runs (npm pack + npm install)", { timeout: 60_000 }, () => {
  beforeAll(() => {
    ({ work, project, packed } = packAndInstall("wasyncio-tarball-"));
  }, 180_000);

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("ships every file its exports map names, and no install-time scripts", () => {
    const files = new Set(packed!.files.map((f) => f.path));
    for (const f of ["dist/index.mjs", "dist/index.node.mjs", "dist/index.cjs", "dist/manual.mjs", "dist/core.wasm", "dist/types/index.d.ts", "dist/types/manual.d.ts", "dist/cli.mjs", "dist/testing.mjs", "dist/types/testing.d.ts", "package.json"]) {
      expect(files, f).toContain(f);
    }
    expect([...files].filter((f) => !f.startsWith("dist/") && !/^(package\.json|README\.md|LICENSE)$/i.test(f))).toEqual([]);
    const installed = JSON.parse(readFileSync(join(project, "node_modules", "wasyncio", "package.json"), "utf8"));
    for (const script of ["preinstall", "install", "postinstall"]) expect(installed.scripts?.[script], script).toBeUndefined();
  });

  it("ESM: the README example through import from 'wasyncio'", () => {
    writeFileSync(join(project, "hello.mjs"), README_ESM);
    expect(inProject(process.execPath, ["hello.mjs"]).split("\n")).toEqual(README_OUTPUT);
  });

  it("CommonJS: the README example through require('wasyncio')", () => {
    writeFileSync(join(project, "hello.cjs"), README_CJS);
    expect(inProject(process.execPath, ["hello.cjs"]).split("\n")).toEqual(README_OUTPUT);
  });

  it("wasyncio/manual: initCore with wasyncio/core.wasm's bytes, and with a WebAssembly.Module", () => {
    for (const how of ["bytes", "module"] as const) {
      writeFileSync(join(project, `manual-${how}.mjs`), readmeManual(how));
      expect(inProject(process.execPath, [`manual-${how}.mjs`]).split("\n"), how).toEqual(README_OUTPUT);
    }
  });

  it("import and require() in one program share one wasyncio (no dual package hazard)", () => {
    writeFileSync(join(project, "mixed.mjs"), MIXED);
    expect(JSON.parse(inProject(process.execPath, ["mixed.mjs"]))).toEqual(MIXED_EXPECTED);
  });

  it("the wasyncio bin: npx wasyncio --help, and explore then shrink of the racy bank, from the installed package", () => {
    const npx = (args: string[]) => {
      try {
        return { code: 0, out: npm(["exec", "--", "wasyncio", ...args], project, 60_000) };
      } catch (exc) {
        const e = exc as { status: number; stdout: string; stderr: string };
        return { code: e.status, out: e.stdout + e.stderr };
      }
    };
    const help = npx(["--help"]);
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/^usage: wasyncio <command> \[options\]/);
    // the example imports 'wasyncio': the installed package, the same instance the bin uses
    writeFileSync(join(project, "bank.mjs"), readFileSync(join(root, "examples", "bank", "bank.mjs"), "utf8"));
    const explored = npx(["explore", "bank.mjs", "--seeds", "200"]);
    expect(explored.code, explored.out).toBe(1);
    expect(explored.out).toMatch(/^explore bank\.mjs: 200 seeds under random, \d+ failed/);
    const tape = /^tape: (\S+)/m.exec(explored.out)![1];
    expect(tape).toMatch(/^\.wasyncio\/bank-random-seed\d+\.tape\.json$/);
    const shrunk = npx(["shrink", tape]);
    expect(shrunk.code, shrunk.out).toBe(0);
    expect(shrunk.out).toMatch(/shrunk to 1 deviation from FIFO/);
  });

  it("the shipped declarations type-check a strict consumer (tsc, NodeNext)", () => {
    writeFileSync(
      join(project, "consumer.mts"),
      `import { run, sleep, gather, type Coro } from "wasyncio";
       import { initCore } from "wasyncio/manual";
       import type { SimTestOptions } from "wasyncio/testing";
       export const simOptions: SimTestOptions = { seeds: 100, schedules: ["pct"], pctDepth: 2 };
       function* num(): Coro<number> { yield* sleep(1); return 1; }
       export const both: Promise<[number, null]> = run(function* () { return yield* gather(num(), sleep(1)); });
       export const ready: Promise<void> = initCore(new Uint8Array(0));`,
    );
    writeFileSync(
      join(project, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          module: "NodeNext",
          moduleResolution: "NodeNext",
          target: "ES2022",
          lib: ["ES2022", "DOM"],
          strict: true,
          noEmit: true,
          skipLibCheck: false,
          types: [],
        },
        files: ["consumer.mts"],
      }),
    );
    inProject(process.execPath, [join(root, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.json"]);
  });
});

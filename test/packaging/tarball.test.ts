// The published package, as a user gets it (issue 6, items 1 and 4): `npm pack` the checkout,
// `npm install` the tarball into an empty temporary project with install scripts enabled, then run
// the README example through the ESM entry, the CommonJS entry and wasyncio/manual, a program
// mixing import and require(), and tsc against the shipped declarations. `npm test` builds dist/
// first; the pack itself runs no scripts (`prepare` would rebuild dist/ under the other suites).

import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MIXED, MIXED_EXPECTED, README_CJS, README_ESM, README_OUTPUT, readmeManual } from "./programs.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));
const built = existsSync(join(root, "dist", "index.mjs"));

/**
 * A clean environment for the child npm and node: without what `npm run` adds for the checkout
 * (npm_config_local_prefix would point npm at the checkout; the npm 6 that runs nested scripts
 * exports its whole config as npm_config_*) and without the checkout's node_modules/.bin on PATH.
 * The tarball has no dependencies, so no registry setting is needed.
 */
function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^npm_/i.test(key) || key === "INIT_CWD") continue;
    env[key] = value;
  }
  const path = Object.keys(env).find((k) => k.toUpperCase() === "PATH");
  if (path) env[path] = env[path]!.split(delimiter).filter((dir) => !isCheckoutDir(dir)).join(delimiter);
  return env;
}

/** A directory inside the checkout's node_modules (its .bin, or npm 6's node-gyp-bin). */
function isCheckoutDir(dir: string): boolean {
  return resolve(dir).startsWith(join(root, "node_modules"));
}

/**
 * The npm to pack and install with: the user's, not the npm 6 that a dev dependency
 * (@as-pect/cli → glob-promise → npm-install-peers) puts in node_modules/.bin, where nested
 * `npm run` calls of npm test find it. The npm running the tests if it is not that one, else the
 * first npm on PATH outside the checkout.
 */
function findNpm(): [string, string[]] {
  const running = process.env.npm_execpath;
  if (running && /npm-cli\.js$/.test(running) && !isCheckoutDir(running)) return [process.execPath, [running]];
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (dir === "" || isCheckoutDir(dir)) continue;
    for (const name of process.platform === "win32" ? ["npm.cmd"] : ["npm"]) {
      if (existsSync(join(dir, name))) return [join(dir, name), []];
    }
  }
  return ["npm", []];
}
const [npmCmd, npmArgs] = findNpm();
const npm = (args: string[], cwd: string, timeout: number) =>
  execFileSync(npmCmd, [...npmArgs, ...args], { cwd, encoding: "utf8", env: childEnv(), stdio: "pipe", timeout });

let work = "";
let project = "";
let packed: { filename: string; files: { path: string }[] } | null = null;

const inProject = (cmd: string, args: string[], input?: string) =>
  execFileSync(cmd, args, { cwd: project, encoding: "utf8", env: childEnv(), input, timeout: 60_000 }).trim();

describe.runIf(built)("the packed package installs and runs (npm pack + npm install)", { timeout: 60_000 }, () => {
  beforeAll(() => {
    const version = npm(["--version"], root, 30_000).trim();
    if (Number(version.split(".")[0]) < 7) throw new Error(`${npmCmd} ${npmArgs.join(" ")} is npm ${version}; need npm 7 or newer`);
    work = mkdtempSync(join(tmpdir(), "wasyncio-tarball-"));
    project = join(work, "project");
    packed = JSON.parse(npm(["pack", "--ignore-scripts", "--json", "--pack-destination", work], root, 60_000))[0];
    mkdirSync(project);
    writeFileSync(join(project, "package.json"), JSON.stringify({ name: "consumer", version: "1.0.0", private: true }));
    // install scripts on, whatever the user's config says: a lifecycle script that needs files
    // not in the tarball must fail here, as it would for users
    npm(["install", join(work, packed!.filename), "--no-audit", "--no-fund", "--ignore-scripts=false", "--no-package-lock"], project, 150_000);
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

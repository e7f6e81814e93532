// Node's dual package hazard (issue 6, item 4): an ESM program that imports wasyncio and also
// require()s it must get one instance — one Future class, one running loop. On Node the ESM
// entry (the "node" condition) re-exports the CommonJS instance (dist/index.node.mjs); other
// hosts keep the standalone ESM build. Runs against dist/ (the package importing itself by name);
// tarball.test.ts runs the same program against the packed package.

import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { MIXED, MIXED_EXPECTED } from "./programs.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));
const built = existsSync(`${root}/dist/index.node.mjs`) || existsSync(`${root}/dist/index.mjs`);
const bin = (name: string) => `${root}/node_modules/.bin/${name}`;

const runMixed = (cmd: string, args: string[]) =>
  JSON.parse(execFileSync(cmd, [...args], { cwd: root, encoding: "utf8", input: MIXED }).trim());

describe.runIf(built)("one wasyncio for import and require() (dist/)", () => {
  it("Node: a loop started through one entry is the running loop of the other; one Future class", () => {
    expect(runMixed(process.execPath, ["--input-type=module", "-"])).toEqual(MIXED_EXPECTED);
  });

  it("Node's ESM entry re-exports exactly the names of the standalone ESM and CommonJS entries", () => {
    const names = (code: string) =>
      JSON.parse(execFileSync(process.execPath, ["--input-type=module", "-e", code], { cwd: root, encoding: "utf8" }));
    const nodeEsm = names(`console.log(JSON.stringify(Object.keys(await import("wasyncio")).sort()))`);
    const standalone = names(`console.log(JSON.stringify(Object.keys(await import("./dist/index.mjs")).sort()))`);
    const cjs = names(
      `import { createRequire } from "node:module";
       console.log(JSON.stringify(Object.keys(createRequire(import.meta.url)("wasyncio")).filter((k) => k !== "__esModule").sort()))`,
    );
    expect(nodeEsm).toEqual(standalone);
    expect(nodeEsm).toEqual(cjs);
    expect(nodeEsm).toContain("run");
  });

  it("package.json: Node gets the wrapper; other hosts the standalone ESM build; manual stays ESM", () => {
    const pkg = JSON.parse(readFileSync(`${root}/package.json`, "utf8"));
    const dot = pkg.exports["."];
    expect(Object.keys(dot)[0]).toBe("types");
    expect(dot.node).toEqual({ import: "./dist/index.node.mjs", require: "./dist/index.cjs" });
    expect(dot.import).toBe("./dist/index.mjs");
    expect(dot.default).toBe("./dist/index.mjs");
    expect(pkg.exports["./manual"].import).toBe("./dist/manual.mjs");
    expect(readFileSync(`${root}/dist/index.node.mjs`, "utf8")).toMatch(/from "\.\/index\.cjs"/);
  });

  // Bun and Deno both match the "node" condition and load the wrapper (checked by hand with
  // deno 2.9.6 and bun 1.4.5); these run when the binaries are installed.
  it.runIf(existsSync(bin("bun")))("Bun: one instance too", () => {
    expect(runMixed(bin("bun"), ["run", "-"])).toEqual(MIXED_EXPECTED);
  });
  it.runIf(existsSync(bin("deno")))("Deno: one instance too", () => {
    expect(runMixed(bin("deno"), ["run", "--no-prompt", "-"])).toEqual(MIXED_EXPECTED);
  });
});

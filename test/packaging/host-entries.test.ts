// Per-host entries (package.json "exports" conditions): a bundler building for browsers gets
// dist/index.browser.mjs (wasyncio/manual: dist/manual.browser.mjs), one building for workerd
// gets dist/manual.workerd.mjs — the same API, with that host's driver only (src/io/choose.ts:
// each entry registers the drivers of the hosts it is for). Checked the way a user's bundler
// sees it: esbuild bundling a one-line consumer of "wasyncio" (the package, by name) for each
// platform, and which host drivers end up in the bundle. `npm test` builds dist/ first.

import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../..", import.meta.url));
const built = existsSync(join(root, "dist", "index.browser.mjs"));
const esbuild = join(root, "node_modules", ".bin", "esbuild");

/** Strings only one host's driver carries (the module it loads, or its messages; the browser's: its Web Worker pool). */
const MARKS = { node: '"node:net"', deno: "--unstable-net", workerd: "cloudflare:sockets", browser: "a Web Worker could not start on" };

const ONE_LINER = `import { run, sleep, gather } from "wasyncio";\nrun(function* () { yield* gather(sleep(0)); });\n`;
const MANUAL_ONE_LINER = `import { initCore, run, sleep } from "wasyncio/manual";\nawait initCore(new Uint8Array(0));\nrun(function* () { yield* sleep(0); });\n`;

let dir = "";

/** Bundle `source` as esbuild does for `platform`, with `conditions` added; the minified text. */
function bundle(source: string, platform: "browser" | "neutral", conditions: string[] = []): string {
  const entry = join(dir, "entry.mjs");
  writeFileSync(entry, source);
  const out = join(dir, "out.mjs");
  const args = [entry, "--bundle", "--minify", "--format=esm", "--target=es2022", `--platform=${platform}`, `--outfile=${out}`, "--log-level=error"];
  if (conditions.length > 0) args.push(`--conditions=${conditions.join(",")}`);
  execFileSync(esbuild, args, { cwd: dir });
  return readFileSync(out, "utf8");
}

const hostsIn = (text: string) => Object.entries(MARKS).filter(([, mark]) => text.includes(mark)).map(([host]) => host);

describe.runIf(built)("per-host entries: a bundle for one host carries that host's driver only", () => {
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "wasyncio-host-entries-"));
    mkdirSync(join(dir, "node_modules"));
    symlinkSync(root, join(dir, "node_modules", "wasyncio"), "junction");
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("package.json: browser and workerd conditions come before the catch-alls", () => {
    const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
    expect(Object.keys(pkg.exports["."])).toEqual(["types", "browser", "node", "import", "require", "default"]);
    expect(pkg.exports["."].browser).toBe("./dist/index.browser.mjs");
    expect(Object.keys(pkg.exports["./manual"])).toEqual(["types", "workerd", "browser", "import"]);
    expect(pkg.exports["./manual"].workerd).toBe("./dist/manual.workerd.mjs");
    expect(pkg.exports["./manual"].browser).toBe("./dist/manual.browser.mjs");
  });

  it("a bundler for browsers gets the browser driver only; the default entry has every host's", () => {
    const everyHost = bundle(ONE_LINER, "neutral");
    expect(hostsIn(everyHost).sort()).toEqual(["browser", "deno", "node", "workerd"]);
    const browser = bundle(ONE_LINER, "browser");
    expect(hostsIn(browser)).toEqual(["browser"]);
    expect(browser.length).toBeLessThan(everyHost.length);
  });

  it("a browser one-liner carries none of the loop's TCP, server, UDP, subprocess or signal code (streams/install.ts)", () => {
    const browser = bundle(ONE_LINER, "browser");
    const everyHost = bundle(ONE_LINER, "neutral");
    // messages only those implementations contain
    for (const text of ["createConnection(protocolFactory", "createServer(protocolFactory", "createDatagramEndpoint(protocolFactory", "subprocessExec(protocolFactory"]) {
      expect(everyHost.includes(text), `${text} in the default bundle`).toBe(true);
      expect(browser.includes(text), `${text} in the browser bundle`).toBe(false);
    }
    expect(browser.length).toBeLessThan(80 * 1024); // 115 KB before the installs moved to the entries
  });

  it("wasyncio/manual: workerd's bundle has the workerd driver only, a browser's the browser driver only", () => {
    expect(hostsIn(bundle(MANUAL_ONE_LINER, "neutral")).sort()).toEqual(["browser", "deno", "node", "workerd"]);
    // wrangler's conditions for workerd
    expect(hostsIn(bundle(MANUAL_ONE_LINER, "neutral", ["workerd", "worker", "browser"]))).toEqual(["workerd"]);
    expect(hostsIn(bundle(MANUAL_ONE_LINER, "browser"))).toEqual(["browser"]);
  });

  it("the browser entry on another host: a loop gets the timers-only driver, whose I/O raises NotImplementedError naming that host", () => {
    const out = execFileSync(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        `import { run, getRunningLoop, openConnection, sleep } from ${JSON.stringify(join(root, "dist", "index.browser.mjs"))};
         const r = await run(function* () {
           const host = getRunningLoop()._host;
           let error = null;
           try { openConnection("127.0.0.1", 9); } catch (e) { error = e.name + ": " + e.message; }
           yield* sleep(0.01);
           return { host: host.host, driver: host.constructor.name, tcp: host.supports("tcp"), error };
         });
         console.log(JSON.stringify(r));`,
      ],
      { encoding: "utf8" },
    );
    const r = JSON.parse(out);
    expect(r).toMatchObject({ host: "node", driver: "TimersDriver", tcp: false });
    expect(r.error).toMatch(/^NotImplementedError: .*not available on node/);
  });
});

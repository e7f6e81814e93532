// Cross-host: a trace of the TCP echo program recorded in Node on real sockets replays in headless
// Chromium (a page: no sockets at all there) and in Cloudflare workerd (a worker), through the
// built bundles and the harnesses test/hosts/chromium.mjs and test/hosts/workerd.mjs.
// `npm test` builds dist/ first.

import { existsSync, readFileSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import * as wasyncio from "../../src/index.ts";
import { Recorder, run } from "../../src/index.ts";
// @ts-expect-error -- a plain .mjs fixture
import { makeEcho } from "./fixtures/echo-program.mjs";
// @ts-expect-error -- plain ESM harnesses without types
import { runInChromium } from "../hosts/chromium.mjs";
// @ts-expect-error -- plain ESM harnesses without types
import { startWorkerd, wasyncioModules } from "../hosts/workerd.mjs";

const root = fileURLToPath(new URL("../..", import.meta.url));
const built =
  existsSync(`${root}/dist/index.mjs`) &&
  existsSync(`${root}/dist/manual.mjs`) &&
  readdirSync(`${root}/dist`).some((f) => f.endsWith(".mjs") && readFileSync(`${root}/dist/${f}`, "utf8").includes("ReplayDriver"));

const OPTS = { clients: 2, messages: 3 };

async function recordEcho(opts: object) {
  const rec = new Recorder();
  const result = await run(makeEcho(wasyncio, opts), { record: rec });
  return { result: JSON.parse(JSON.stringify(result)), text: rec.trace().toString() };
}

describe.runIf(built)("a Node trace replayed in other hosts", () => {
  it("in Chromium (a page, dist/index.mjs): the same result, and a changed program diverges there too", async () => {
    const { result, text } = await recordEcho(OPTS);
    const page = (opts: object) => `
      import * as w from "wasyncio";
      import { makeEcho } from "/echo-program.mjs";
      const text = await (await fetch("/echo.trace")).text();
      try {
        const result = await w.run(makeEcho(w, ${JSON.stringify(opts)}), { replay: w.Trace.parse(text) });
        done({ ok: true, host: w.defaultDriver().host, result });
      } catch (e) {
        done({ ok: false, name: e.name, message: e.message });
      }`;
    const files = { "/echo.trace": text, "/echo-program.mjs": { path: fileURLToPath(new URL("./fixtures/echo-program.mjs", import.meta.url)) } };
    const faithful = await runInChromium({ page: page(OPTS), files, timeoutMs: 60_000 });
    expect(faithful.result).toEqual({ ok: true, host: "browser", result });
    const changed = await runInChromium({ page: page({ ...OPTS, shout: false }), files, timeoutMs: 60_000 });
    expect(changed.result).toMatchObject({ ok: false, name: "ReplayDivergence" });
    expect(changed.result.message).toMatch(/expected write of 16 bytes "CLIENT 0 LINE 0\\n"/);
  }, 120_000);

  it("in workerd (a worker, dist/manual.mjs with the precompiled core): the same result", async () => {
    const { result, text } = await recordEcho(OPTS);
    const wd = await startWorkerd({
      modules: [
        { name: "test/sim/fixtures/workerd-replay.mjs", path: "test/sim/fixtures/workerd-replay.mjs" },
        { name: "test/sim/fixtures/echo-program.mjs", path: "test/sim/fixtures/echo-program.mjs" },
        ...wasyncioModules(),
      ],
    });
    try {
      const post = async (opts: object) => {
        const res = await fetch(`${wd.url}/replay?opts=${encodeURIComponent(JSON.stringify(opts))}`, { method: "POST", body: text, signal: AbortSignal.timeout(30_000) });
        return res.json();
      };
      expect(await post(OPTS)).toEqual({ ok: true, host: "workerd", result });
      const changed = await post({ ...OPTS, shout: false });
      expect(changed).toMatchObject({ ok: false, name: "ReplayDivergence" });
    } finally {
      await wd.stop();
    }
  }, 120_000);
});

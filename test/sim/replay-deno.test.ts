// Cross-host: a trace recorded in Node on real sockets replays in Deno, which runs the built bundle
// (dist/index.mjs) with no --allow-net — any socket would be a PermissionDenied there.

import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import * as wasyncio from "../../src/index.ts";
import { Recorder, run } from "../../src/index.ts";
// @ts-expect-error -- a plain .mjs fixture
import { makeEcho } from "./fixtures/echo-program.mjs";

const root = fileURLToPath(new URL("../..", import.meta.url));
const deno = `${root}/node_modules/.bin/deno`;
const fixture = fileURLToPath(new URL("./fixtures/deno-replay.mjs", import.meta.url));
const dist = `${root}/dist/index.mjs`;
// the bundle must be built (npm test builds it first), with the replay in it
const built = existsSync(dist) && existsSync(deno) && bundleHas("ReplayDriver");

function bundleHas(name: string): boolean {
  try {
    return readdirSync(`${root}/dist`).some((f) => f.endsWith(".mjs") && readFileSync(`${root}/dist/${f}`, "utf8").includes(name));
  } catch {
    return false;
  }
}

function inDeno(mode: "replay" | "live", opts: object, stdin = ""): { ok: boolean; result?: unknown; name?: string; message?: string; iteration?: number } {
  // no --allow-net, no --allow-read (local imports need none; the trace comes on stdin)
  const out = execFileSync(deno, ["run", "--no-prompt", fixture, mode, JSON.stringify(opts)], { input: stdin, encoding: "utf8", cwd: root, timeout: 60_000 });
  return JSON.parse(out.trim().split("\n").pop()!);
}

describe.runIf(built)("a Node trace replayed in Deno (dist/index.mjs, no --allow-net)", () => {
  it("the TCP echo program replays there with the same result", async () => {
    const opts = { clients: 3, messages: 3 };
    const rec = new Recorder();
    const result = await run(makeEcho(wasyncio, opts), { record: rec });
    const text = rec.trace().toString();
    // Deno has no network here: the live program cannot even listen
    const live = inDeno("live", opts);
    expect(live.ok).toBe(false);
    expect(live.name).toMatch(/PermissionError|NotCapable|PermissionDenied/);
    expect(live.message).toMatch(/net/i);
    // the replay needs none
    const replayed = inDeno("replay", opts, text);
    expect(replayed).toEqual({ ok: true, result: JSON.parse(JSON.stringify(result)) });
  }, 60_000);

  it("a divergence there is the same ReplayDivergence", async () => {
    const rec = new Recorder();
    await run(makeEcho(wasyncio, { clients: 1, messages: 2 }), { record: rec });
    const out = inDeno("replay", { clients: 1, messages: 2, shout: false }, rec.trace().toString());
    expect(out.ok).toBe(false);
    expect(out.name).toBe("ReplayDivergence");
    expect(out.message).toMatch(/expected write of 16 bytes "CLIENT 0 LINE 0\\n" to resource \d+, got write of 16 bytes "client 0 line 0\\n"/);
  }, 60_000);
});


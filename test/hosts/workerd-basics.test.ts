// wasyncio in Cloudflare workerd (node_modules/.bin/workerd), through its driver
// (src/io/workerd.ts): the loop runs per request on wasyncio/manual, given the core as a
// precompiled module (workerd refuses to compile Wasm from bytes). Each test starts workerd on a
// fixture (test/hosts/fixtures/workerd-basics.mjs) with the harness test/hosts/workerd.mjs and
// asserts on response bodies. `npm test` builds dist/ first.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
// @ts-expect-error: a plain ESM helper without types
import { startWorkerd, wasyncioModules } from "./workerd.mjs";

interface Workerd {
  url: string;
  stop(): Promise<void>;
  output(): string;
}

const FIXTURE = "test/hosts/fixtures/workerd-basics.mjs";

const SPEC_OUTPUT = [
  "Starting wasyncio application...",
  "Hello, Alice!",
  "Hello, Bob!",
  "Goodbye, Alice!",
  "Goodbye, Bob!",
  "wasyncio application finished.",
  "",
].join("\n");

const BASICS_OUTPUT = [
  "host workerd",
  "results A B",
  "order a1,b1,b2,a2",
  "timeout true CancelledError cleaned=true",
  "waitFor TimeoutError",
  "queue 6 012345",
  "interleave x0,y0,x1,y1,x2,y2",
  "clock true",
  "",
].join("\n");

async function get(wd: Workerd, path: string): Promise<string> {
  const res = await fetch(`${wd.url}${path}`, { signal: AbortSignal.timeout(10_000) });
  const body = await res.text();
  if (res.status !== 200) throw new Error(`GET ${path}: ${res.status}\n${body}\n--- workerd\n${wd.output()}`);
  return body;
}

// The compatibility date decides which macrotask the timers driver yields with: before
// MessageChannel was a global (setTimeout(0)), with it, and with setImmediate (and `process`,
// which must not make workerd look like Node).
describe.each([
  ["2023-01-01", "setTimeout yields"],
  ["2025-09-01", "MessageChannel yields"],
  ["2026-11-01", "setImmediate yields, a process global"],
])("workerd, compatibility date %s (%s)", (compatibilityDate) => {
  let wd: Workerd;
  beforeAll(async () => {
    wd = await startWorkerd({ modules: [{ name: FIXTURE, path: FIXTURE }, ...wasyncioModules()], compatibilityDate });
  }, 30_000);
  afterAll(async () => {
    await wd?.stop();
  });

  it("runs the SPEC's first example in a request: its output is the response body", async () => {
    expect(await get(wd, "/spec")).toBe(SPEC_OUTPUT);
    expect(await get(wd, "/spec?runner=request")).toBe(SPEC_OUTPUT);
  });

  it("detects workerd and runs tasks, timeouts, waitFor, queues and yields", async () => {
    expect(await get(wd, "/basics")).toBe(BASICS_OUTPUT);
    expect(await get(wd, "/basics?runner=request")).toBe(BASICS_OUTPUT);
  });

  it("runs one loop per request with runForRequest, for requests that overlap in one isolate", async () => {
    const paths = Array.from({ length: 6 }, (_, i) => (i % 2 === 0 ? "/spec?runner=request" : "/basics?runner=request"));
    const bodies = await Promise.all(paths.map((p) => get(wd, p)));
    bodies.forEach((body, i) => expect(body).toBe(i % 2 === 0 ? SPEC_OUTPUT : BASICS_OUTPUT));
  });
});

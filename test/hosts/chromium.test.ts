// wasyncio in headless Chromium: the bundle a page imports (dist/index.mjs) runs the SPEC example,
// the composition basics, wrap(fetch()), refuses what a browser lacks at the call, yields through
// a MessageChannel (never setTimeout), and runs as a guest of requestAnimationFrame.

import { describe, expect, it } from "vitest";
import { PAGE_TIMEOUT_MS, runPage } from "./chromium-helpers.ts";

describe("wasyncio in Chromium", () => {
  it("the SPEC example prints its lines in order", async () => {
    const { logs, result } = await runPage("spec-example");
    expect(result).toBe("ok");
    expect(logs).toEqual([
      "Starting wasyncio application...",
      "Hello, Alice!",
      "Hello, Bob!",
      "Goodbye, Alice!",
      "Goodbye, Bob!",
      "wasyncio application finished.",
    ]);
  }, PAGE_TIMEOUT_MS);

  it("gather, sleep, timeout, waitFor, Queue and taskGroup on the real clock", async () => {
    const { result, logs } = await runPage("basics");
    expect(logs).toEqual([]);
    expect(result).toEqual({
      value: "main done",
      gather: ["slow", "fast", "now"],
      sleepResult: "result",
      timeout: [true, "TimeoutError", true, true],
      waitFor: "TimeoutError",
      waitForInTime: "in time",
      taskGroup: "joined",
      items: [0, 1, 2, 3, 4, 5],
      elapsedAtLeast: true,
    });
  }, PAGE_TIMEOUT_MS);

  it("wrap(fetch()) settles through the loop: bodies, JSON, a 404, a refused request", async () => {
    const { result } = await runPage("fetch");
    expect(result).toEqual({
      status: 200,
      body: "wasyncio over fetch\n",
      json: { hello: "browser" },
      missing: 404,
      refused: "TypeError",
      open: [],
    });
  }, PAGE_TIMEOUT_MS);

  it("what a browser lacks raises NotImplementedError at the call, naming the feature and 'browser'", async () => {
    const { result } = await runPage("not-implemented");
    const expected: Record<string, string> = {
      openConnection: "TCP connections are not available on browser",
      startServer: "TCP servers are not available on browser",
      openUnixConnection: "Unix sockets are not available on browser",
      startUnixServer: "Unix sockets are not available on browser",
      createConnection: "TCP connections are not available on browser",
      createServer: "TCP servers are not available on browser",
      createDatagramEndpoint: "UDP datagrams are not available on browser",
      createSubprocessExec: "subprocesses are not available on browser",
      createSubprocessShell: "subprocesses are not available on browser",
      addSignalHandler: "signal handlers are not available on browser",
    };
    for (const [api, message] of Object.entries(expected)) {
      const [name, isNotImplemented, text] = result[api];
      expect(name, api).toBe("NotImplementedError");
      expect(isNotImplemented, api).toBe(true);
      expect(text, api).toContain(message);
    }
    expect(result.after).toBe("still running");
    expect(result.open).toEqual([]);
  }, PAGE_TIMEOUT_MS);

  it("the loop is not paced by setTimeout: it yields through a MessageChannel", async () => {
    const { result } = await runPage("pacing");
    expect(result.steps).toBe(10_000);
    expect(result.released).toBe("released");
    // busy work with a host operation in flight: the loop yields between slices, never by a timer
    expect(result.busy.setTimeout).toBe(0);
    expect(result.busy.postMessage).toBeGreaterThan(0);
    // 10,000 trips through the host: one message each, no timer at all
    expect(result.sum).toBe(10_000);
    expect(result.roundTrips).toEqual({ setTimeout: 0, postMessage: 10_000 });
    expect(result.open).toEqual([]);
  }, PAGE_TIMEOUT_MS);

  it("guest mode: runOnce() from requestAnimationFrame runs the program, the loop arms no timer and posts no message", async () => {
    const { result } = await runPage("guest-raf");
    expect(result.result).toEqual({ names: ["a", "b"], body: "wasyncio over fetch\n", queued: ["b", "a"] });
    expect(result.log).toEqual(["b woke", "a woke"]);
    expect(result.frames).toBeGreaterThan(1);
    expect(result.isRunningBetweenFrames).toBe(false);
    expect(result.counts).toEqual({ setTimeout: 0, postMessage: 0 });
    expect(result.open).toEqual([]);
    expect(result.closed).toBe(true);
  }, PAGE_TIMEOUT_MS);
});

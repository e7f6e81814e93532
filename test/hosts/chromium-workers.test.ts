// runInExecutor / toThread in headless Chromium: module Web Workers made from a Blob URL, importing
// the function's module from the page's server.

import { describe, expect, it } from "vitest";
import { PAGE_TIMEOUT_MS, runPage } from "./chromium-helpers.ts";

describe("executors on Web Workers in Chromium", () => {
  it("results, errors with name/message/stack, missing exports, clone failures, a pool of two, shutdown", async () => {
    const { result } = await runPage("workers");
    expect(result.add).toBe(42);
    expect(result.pathModule).toBe(3); // "/work/work.mjs": resolved against the page, not the worker's Blob URL
    expect(result.bytes).toEqual([true, [0, 1, 2, 3, 4]]);

    expect(result.range.name).toBe("RangeError");
    expect(result.range.isRangeError).toBe(true);
    expect(result.range.message).toBe("out of range: range");
    expect(result.range.stack).toContain("/work/work.mjs"); // the worker's stack, where it was thrown
    expect(result.custom.name).toBe("BadInput");
    expect(result.custom.message).toBe("bad input: custom");
    expect(result.custom.stack).toMatch(/at fail \(http:\/\/127\.0\.0\.1:\d+\/work\/work\.mjs/);

    expect(result.missing).toMatch(/^TypeError: module http:\/\/127\.0\.0\.1:\d+\/work\/work\.mjs has no export named 'missing'$/);
    expect(result.notAFunction).toMatch(/^TypeError: export 'notAFunction' of .* is not a function \(it is number\)$/);
    expect(result.badArgument).toMatch(/^DataCloneError: the arguments of add\(\) could not be sent to a worker/);
    expect(result.badResult).toMatch(/^DataCloneError: the result of notCloneable\(\) could not be sent back/);

    // four calls on a pool of two: all answered, in order, by exactly two workers
    expect(result.pool).toEqual({ values: [1, 2, 3, 4], workers: 2 });

    expect(result.afterShutdown).toEqual(["RuntimeError", true]);
    expect(result.open).toEqual([]);
  }, PAGE_TIMEOUT_MS);

  it("inside a Web Worker wasyncio sees the browser host: it runs, has WebSockets, and refuses TCP naming 'browser'", async () => {
    const { result } = await runPage("worker-host");
    expect(result.open).toEqual([]);
    expect(result.insideWorker).toEqual({
      isWorker: true,
      tcp: "NotImplementedError: TCP connections are not available on browser",
      line: "from a worker\n",
    });
  }, PAGE_TIMEOUT_MS);
});

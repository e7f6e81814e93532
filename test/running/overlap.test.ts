// A loop is the running loop only while it runs iterations. Host code between its slices — a
// second request handler, a timer callback — is outside it: it can start its own run(), and
// two loops take turns on the one JS thread (a server that runs a loop per request).

import { describe, expect, it } from "vitest";
import { RuntimeError, getRunningLoop, run, sleep } from "../../src/index.ts";
import { CORES } from "../helpers.ts";

describe.each(CORES)("%s core", (core) => {
  it("two run()s started by host code overlap, each with its own loop", async () => {
    const log: string[] = [];
    const request = (name: string, delay: number) =>
      run(function* () {
        const loop = getRunningLoop();
        log.push(`${name} start`);
        yield* sleep(delay);
        expect(getRunningLoop()).toBe(loop);
        log.push(`${name} end`);
        return name;
      }, { core });
    const first = request("a", 0.05);
    // the first loop now waits on its host timer: host code is outside it
    expect(() => getRunningLoop()).toThrow(RuntimeError);
    const second = request("b", 0.01);
    expect(await Promise.all([first, second])).toEqual(["a", "b"]);
    expect(log).toEqual(["a start", "b start", "b end", "a end"]);
  });

  it("run() from inside a running loop's callback is still refused, as asyncio", async () => {
    const err = await run(function* () {
      try {
        void run(function* () {});
      } catch (e) {
        return e;
      }
      return null;
    }, { core });
    expect(err).toBeInstanceOf(RuntimeError);
    expect((err as Error).message).toMatch(/cannot be called from a running event loop/);
  });
});

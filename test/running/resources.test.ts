// run() owns its loop: whatever main leaves open (a host operation still in flight) is closed
// when main ends, and debug mode names each one.

import { describe, expect, it } from "vitest";
import { getRunningLoop, run, wrap } from "../../src/index.ts";
import { CORES, captureConsole } from "../helpers.ts";

describe.each(CORES)("%s core", (core) => {
  it("closes a host operation main left in flight, and debug mode names it", async () => {
    const out = captureConsole();
    let loop!: ReturnType<typeof getRunningLoop>;
    await run(function* () {
      loop = getRunningLoop();
      wrap(new Promise(() => {})); // never settles: still in flight when main returns
      expect(loop._openResources().filter((r) => String(r).startsWith("<wrapped promise"))).toHaveLength(1);
    }, { core, debug: true });
    expect(loop.isClosed()).toBe(true);
    expect(loop._openResources()).toHaveLength(0);
    expect(out.text()).toMatch(/<wrapped promise .*> was still open when main ended; run\(\) closed it/);
  });

  it("says nothing outside debug mode", async () => {
    const out = captureConsole();
    await run(function* () {
      wrap(new Promise(() => {}));
    }, { core });
    expect(out.text()).toBe("");
  });
});

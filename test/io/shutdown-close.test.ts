// A resource closed by the program, whose `closed` event has not come back when run() ends,
// is closed again by run()'s shutdown: the host has already forgotten it, and that is no error.

import { expect, it } from "vitest";
import { getRunningLoop, run } from "../../src/index.ts";
import { captureConsole } from "../helpers.ts";

it("a datagram endpoint closed just before main returns ends quietly", async () => {
  const out = captureConsole();
  await run(function* () {
    const loop = getRunningLoop();
    const [transport] = yield* loop.createDatagramEndpoint(() => ({}), { localAddr: ["127.0.0.1", 0] });
    transport.close(); // main returns before the host reports the socket closed
  });
  expect(out.text()).not.toMatch(/NotImplementedError|not available/);
});

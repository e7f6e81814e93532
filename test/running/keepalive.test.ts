// A program that waits, idle, on a host event (here a promise whose timer does not hold Node
// open) keeps the process up until the event comes, as asyncio blocks in select(); and the
// process still exits as soon as run() is done.

import { afterAll, beforeAll, expect, it } from "vitest";
import { bundleWasyncio, runChild } from "../io/child.ts";

let lib: Awaited<ReturnType<typeof bundleWasyncio>>;
beforeAll(async () => {
  lib = await bundleWasyncio();
});
afterAll(() => lib.remove());

it("run() keeps Node up while it waits on the host, and lets it exit after", async () => {
  const result = await runChild(
    `
    import { run, wrap } from ${JSON.stringify(lib.url)};
    const started = Date.now();
    const value = await run(function* () {
      // an unref'd timer does not hold Node open: only the loop's wait can
      return yield* wrap(new Promise((resolve) => setTimeout(() => resolve("event"), 300).unref()));
    });
    console.log(value, Date.now() - started >= 250 ? "after-wait" : "too-early");
  `,
    { timeoutMs: 20_000 },
  );
  expect(result.stdout.trim()).toBe("event after-wait");
  expect(result.code).toBe(0);
}, 30_000);

// run() and Ctrl+C, as asyncio.Runner (cases after CPython's test_asyncio/test_runners.py
// RunnerTests.test_interrupt_*): the first SIGINT cancels the main task and run() rejects
// with KeyboardInterrupt; a second SIGINT gets the host's default (Node: the process ends).
// Each case is a child process that is sent SIGINT (by itself, or by this test).

import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { bundleWasyncio, runChild } from "./child.ts";

let lib: { url: string; remove: () => void };
beforeAll(async () => {
  lib = await bundleWasyncio();
});
afterAll(() => lib?.remove());

/** A child program: `body` uses run, sleep… from the bundle; the outcome is printed as JSON. */
const program = (body: string) => `
import * as w from ${JSON.stringify(lib.url)};
const { run, sleep, getRunningLoop, KeyboardInterrupt, CancelledError } = w;
const report = (o) => console.log(JSON.stringify(o));
${body}
`;

describe("run() and SIGINT", () => {
  test("test_interrupt_wait: the first SIGINT cancels main; run() rejects with KeyboardInterrupt", async () => {
    const r = await runChild(
      program(`
        let cleaned = false;
        // a bare pending future holds nothing in Node's event loop: keep the host alive
        const keepAlive = setInterval(() => {}, 1000);
        run(function* () {
          const fut = getRunningLoop().createFuture();
          getRunningLoop().callLater(0.05, () => process.kill(process.pid, "SIGINT"));
          try { yield* fut; } finally { cleaned = fut.cancelled() ? "future cancelled" : "no"; clearInterval(keepAlive); }
        }).then(
          () => report({ outcome: "resolved" }),
          (e) => {
            report({ outcome: e.name, ki: e instanceof KeyboardInterrupt, cause: e.cause?.name, cleaned, listeners: process.listenerCount("SIGINT") });
            process.exitCode = 130;
          },
        );
      `),
    );
    expect(JSON.parse(r.stdout)).toEqual({
      outcome: "KeyboardInterrupt", ki: true, cause: "CancelledError", cleaned: "future cancelled", listeners: 0,
    });
    expect(r.code).toBe(130);
  });

  test("test_interrupt_call_soon: a main task that never waits on anything is interrupted too", async () => {
    // main spins on sleep(0): the loop still lets the host deliver the signal; this test
    // sends it from outside once main is spinning
    const r = await runChild(
      program(`
        run(function* () {
          report({ spinning: true });
          for (;;) yield* sleep(0);
        }).then(
          () => report({ outcome: "resolved" }),
          (e) => { report({ outcome: e.name }); process.exitCode = 130; },
        );
      `),
      { onLine: (line, pid) => line.includes("spinning") && process.kill(pid, "SIGINT") },
    );
    expect(r.stdout.trim().split("\n").map((l) => JSON.parse(l))).toEqual([{ spinning: true }, { outcome: "KeyboardInterrupt" }]);
    expect(r.code).toBe(130);
  });

  test("a main task that handles the cancellation and returns: run() resolves with its value", async () => {
    const r = await runChild(
      program(`
        run(function* () {
          process.kill(process.pid, "SIGINT");
          try { yield* sleep(30); } catch (e) { if (!(e instanceof CancelledError)) throw e; }
          return "cleaned up";
        }).then((v) => report({ outcome: v }), (e) => report({ outcome: e.name }));
      `),
    );
    expect(JSON.parse(r.stdout)).toEqual({ outcome: "cleaned up" });
    expect(r.code).toBe(0);
  });

  test("test_interrupt_cancelled_task: main cancelled by the program itself ends in CancelledError, not KeyboardInterrupt", async () => {
    const r = await runChild(
      program(`
        run(function* () {
          const loop = getRunningLoop();
          const main = w.currentTask();
          loop.createTask((function* () { yield* sleep(0); main.cancel(); process.kill(process.pid, "SIGINT"); })());
          yield* sleep(30);
        }).then(() => report({ outcome: "resolved" }), (e) => report({ outcome: e.name }));
      `),
    );
    expect(JSON.parse(r.stdout)).toEqual({ outcome: "CancelledError" });
  });

  test("a second SIGINT gets the host's default: the process ends by SIGINT", async () => {
    const r = await runChild(
      program(`
        run(function* () {
          process.kill(process.pid, "SIGINT");
          try { yield* sleep(30); } catch (e) { report({ first: e.name }); }
          process.kill(process.pid, "SIGINT");
          yield* sleep(30);
          report({ survived: true });
        });
      `),
    );
    expect(r.stdout.trim()).toBe(JSON.stringify({ first: "CancelledError" }));
    expect(r.signal).toBe("SIGINT");
  });

  test("the program's own loop.addSignalHandler('SIGINT') replaces run()'s", async () => {
    const r = await runChild(
      program(`
        run(function* () {
          const loop = getRunningLoop();
          let got = 0;
          loop.addSignalHandler("SIGINT", () => got++);
          process.kill(process.pid, "SIGINT");
          while (got === 0) yield* sleep(0.005);
          const listeners = process.listenerCount("SIGINT");
          loop.removeSignalHandler("SIGINT");
          return { got, listeners, after: process.listenerCount("SIGINT") };
        }).then((v) => report(v), (e) => report({ outcome: e.name }));
      `),
    );
    expect(JSON.parse(r.stdout)).toEqual({ got: 1, listeners: 1, after: 0 });
    expect(r.code).toBe(0);
  });

  test("a SIGINT listener the program installed on the host itself is left alone", async () => {
    const r = await runChild(
      program(`
        let got = 0;
        process.on("SIGINT", () => got++);
        run(function* () {
          const listeners = process.listenerCount("SIGINT");
          process.kill(process.pid, "SIGINT");
          while (got === 0) yield* sleep(0.005);
          return { got, listeners };
        }).then((v) => { report(v); process.removeAllListeners("SIGINT"); }, (e) => report({ outcome: e.name }));
      `),
    );
    expect(JSON.parse(r.stdout)).toEqual({ got: 1, listeners: 1 });
  });

  test("after run() the process has no SIGINT listener left, and exits by itself", async () => {
    const r = await runChild(
      program(`
        const during = await run(function* () { yield* sleep(0.01); return process.listenerCount("SIGINT"); });
        report({ during, after: process.listenerCount("SIGINT") });
      `),
    );
    expect(JSON.parse(r.stdout)).toEqual({ during: 1, after: 0 });
    expect(r.code).toBe(0);
  });

  test("runSync and the virtual clock: no listener for a run that never waits on the host", async () => {
    const r = await runChild(
      program(`
        const n = w.runSync(function* () { yield* sleep(3600); return process.listenerCount("SIGINT"); });
        const t = await run(function* () { yield* sleep(3600); return getRunningLoop().time(); }, { clock: "virtual" });
        report({ n, t });
      `),
    );
    expect(JSON.parse(r.stdout)).toEqual({ n: 0, t: 3600 });
  });
});

// The loop itself: callSoon FIFO, callLater/callAt ordered by (deadline, scheduling order),
// cancelled handles, the virtual clock jumping straight to the next deadline, runSync, and a
// loop driven by hand (newEventLoop + runUntilComplete). Every value is exact (virtual time).
import { RuntimeError, getRunningLoop, newEventLoop, run, runSync, sleep } from "wasyncio";

export default async function main(t) {
  // callSoon runs in call order; a callback scheduled by a callback waits for the next pass
  t.check(
    "callSoon FIFO, later passes after",
    runSync(function* () {
      const loop = getRunningLoop();
      const record = [];
      loop.callSoon(() => {
        record.push("a");
        loop.callSoon(() => record.push("a2"));
      });
      loop.callSoon((x, y) => record.push(`b${x}${y}`), 1, 2);
      const cancelled = loop.callSoon(() => record.push("never"));
      loop.callSoon(() => record.push("c"));
      cancelled.cancel();
      yield* sleep(0);
      yield* sleep(0);
      return [record, cancelled.cancelled()];
    }),
    [["a", "b12", "c", "a2"], true],
  );

  // timers: by deadline, equal deadlines in the order they were scheduled; when() is absolute
  t.check(
    "callLater/callAt order and when()",
    runSync(function* () {
      const loop = getRunningLoop();
      const record = [];
      const done = loop.createFuture();
      loop.callLater(0.3, () => record.push(`late@${loop.time()}`));
      const h1 = loop.callLater(0.1, () => record.push("first 0.1"));
      loop.callAt(0.1, () => record.push("second 0.1"));
      loop.callLater(0.2, () => record.push("0.2"));
      const gone = loop.callLater(0.15, () => record.push("cancelled"));
      gone.cancel();
      loop.callLater(0.4, () => done.setResult(loop.time()));
      const end = yield* done;
      return { record, end, when: h1.when() };
    }),
    { record: ["first 0.1", "second 0.1", "0.2", "late@0.3"], end: 0.4, when: 0.1 },
  );

  // the virtual clock: an hour of sleeping runs at once, and time is exactly what was slept
  t.check(
    "virtual clock jumps",
    await run(
      function* () {
        const loop = getRunningLoop();
        const times = [loop.time()];
        yield* sleep(3600);
        times.push(loop.time());
        yield* sleep(0.25);
        times.push(loop.time());
        return times;
      },
      { clock: "virtual" },
    ),
    [0, 3600, 3600.25],
  );

  // the real clock moves forward (no speed assertion: just monotonic and not virtual)
  t.check(
    "real clock is monotonic",
    await run(function* () {
      const loop = getRunningLoop();
      const a = loop.time();
      yield* sleep(0.01);
      const b = loop.time();
      return b >= a + 0.009;
    }),
    true,
  );

  // a loop driven by hand
  const loop = newEventLoop({ clock: "virtual" });
  const value = await loop.runUntilComplete(
    (function* () {
      yield* sleep(5);
      return `done at ${getRunningLoop().time()}`;
    })(),
  );
  loop.close();
  t.check("newEventLoop + runUntilComplete", [value, loop.isClosed()], ["done at 5", true]);

  // runSync refuses a deadlock instead of hanging, naming what main waits on
  let deadlock;
  try {
    runSync(function* () {
      yield* getRunningLoop().createFuture();
    });
    deadlock = "returned";
  } catch (e) {
    deadlock = [e.name, e instanceof RuntimeError];
  }
  t.check("runSync deadlock is a RuntimeError", deadlock, ["RuntimeError", true]);

  // bad input fails at the call, the loop keeps working
  t.check(
    "bad delay raises at the call",
    runSync(function* () {
      const loop = getRunningLoop();
      const errors = [];
      for (const bad of [Number.NaN, "1"]) {
        try {
          loop.callLater(bad, () => {});
        } catch (e) {
          errors.push(e.name);
        }
      }
      try {
        loop.callSoon("not a function");
      } catch (e) {
        errors.push(e.name);
      }
      yield* sleep(1);
      return [errors, loop.time()];
    }),
    [["ValueError", "TypeError", "TypeError"], 1],
  );
}

// Timeouts: waitFor (TimeoutError whose cause is the CancelledError it replaced), the structured
// timeout(delay, body) in time and expired, reschedule, timeoutAt, wait(FIRST_COMPLETED) and
// asCompleted. All on the virtual clock, so every time printed is exact.
import {
  CancelledError,
  FIRST_COMPLETED,
  TimeoutError,
  asCompleted,
  createTask,
  getRunningLoop,
  run,
  sleep,
  timeout,
  timeoutAt,
  wait,
  waitFor,
} from "wasyncio";

const VIRTUAL = { clock: "virtual" };
const now = () => getRunningLoop().time();

export default async function main(t) {
  t.check(
    "waitFor: TimeoutError, cause CancelledError, inner cancelled",
    await run(function* () {
      let cleaned = false;
      const inner = (function* () {
        try {
          yield* sleep(10);
        } finally {
          cleaned = true;
        }
      })();
      try {
        yield* waitFor(inner, 0.5);
        return "no timeout";
      } catch (e) {
        return [e.name, e instanceof TimeoutError, e.cause instanceof CancelledError, cleaned, now()];
      }
    }, VIRTUAL),
    ["TimeoutError", true, true, true, 0.5],
  );

  t.check(
    "waitFor in time returns the value",
    await run(function* () {
      return [yield* waitFor(sleep(0.2, "value"), 1), now()];
    }, VIRTUAL),
    ["value", 0.2],
  );

  t.check(
    "timeout(): in time, then expired",
    await run(function* () {
      const inTime = yield* timeout(1, function* (tm) {
        yield* sleep(0.5);
        return [tm.expired(), tm.when()];
      });
      let expired;
      try {
        yield* timeout(0.25, function* () {
          yield* sleep(5);
        });
      } catch (e) {
        expired = [e.name, now()];
      }
      return { inTime, expired };
    }, VIRTUAL),
    { inTime: [false, 1], expired: ["TimeoutError", 0.75] },
  );

  t.check(
    "timeout reschedule and timeoutAt",
    await run(function* () {
      const record = [];
      try {
        yield* timeout(1, function* (tm) {
          yield* sleep(0.5);
          tm.reschedule(now() + 2); // deadline 2.5 now
          record.push(`rescheduled to ${tm.when()}`);
          yield* sleep(10);
        });
      } catch (e) {
        record.push(`${e.name} at ${now()}`);
      }
      const value = yield* timeoutAt(now() + 1, function* (tm) {
        yield* sleep(0.5);
        return `timeoutAt done, expired=${tm.expired()}`;
      });
      record.push(value);
      const never = yield* timeout(null, function* (tm) {
        return tm.when();
      });
      record.push(`no deadline: ${never}`);
      return record;
    }, VIRTUAL),
    ["rescheduled to 2.5", "TimeoutError at 2.5", "timeoutAt done, expired=false", "no deadline: null"],
  );

  t.check(
    "wait FIRST_COMPLETED, then the rest",
    await run(function* () {
      const a = createTask(sleep(0.3, "a"));
      const b = createTask(sleep(0.1, "b"));
      const [done, pending] = yield* wait([a, b], { returnWhen: FIRST_COMPLETED });
      const first = [...done].map((f) => f.result());
      const stillPending = pending.size;
      const [all] = yield* wait(pending);
      return [first, stillPending, [...all].map((f) => f.result()), now()];
    }, VIRTUAL),
    [["b"], 1, ["a"], 0.3],
  );

  t.check(
    "asCompleted yields in completion order",
    await run(function* () {
      const order = [];
      for (const next of asCompleted([sleep(0.3, "slow"), sleep(0.1, "fast"), sleep(0.2, "middle")])) {
        order.push(yield* next);
      }
      return order;
    }, VIRTUAL),
    ["fast", "middle", "slow"],
  );
}

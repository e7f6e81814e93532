// Tasks: cancellation thrown at the task's yield* (finally runs, the message travels), gather
// (argument order, returnExceptions, cancelling the gather cancels its children), TaskGroup
// (a failing child cancels its siblings: ExceptionGroup), shield, names and eager tasks.
import {
  CancelledError,
  ExceptionGroup,
  createTask,
  currentTask,
  eagerTaskFactory,
  gather,
  getRunningLoop,
  run,
  shield,
  sleep,
  taskGroup,
} from "wasyncio";

const VIRTUAL = { clock: "virtual" };

export default async function main(t) {
  t.check(
    "cancel: CancelledError at the yield*, finally runs, message kept",
    await run(function* () {
      const record = [];
      const task = createTask(
        (function* () {
          try {
            record.push("started");
            yield* sleep(10);
            record.push("not reached");
          } finally {
            record.push("cleanup");
          }
        })(),
        { name: "sleeper" },
      );
      yield* sleep(0);
      task.cancel("stop now");
      let caught;
      try {
        yield* task;
      } catch (e) {
        caught = [e.name, e instanceof CancelledError, e.message];
      }
      return { record, caught, cancelled: task.cancelled(), name: task.getName() };
    }, VIRTUAL),
    { record: ["started", "cleanup"], caught: ["CancelledError", true, "stop now"], cancelled: true, name: "sleeper" },
  );

  t.check(
    "gather: results in argument order, completion order differs",
    await run(function* () {
      const done = [];
      const slow = function* (v, d) {
        yield* sleep(d);
        done.push(v);
        return v;
      };
      const results = yield* gather(slow("a", 0.3), slow("b", 0.1), slow("c", 0.2));
      return { results, done, time: getRunningLoop().time() };
    }, VIRTUAL),
    { results: ["a", "b", "c"], done: ["b", "c", "a"], time: 0.3 },
  );

  t.check(
    "gather returnExceptions",
    await run(function* () {
      const r = yield* gather(
        sleep(0.1, "ok"),
        (function* () {
          yield* sleep(0.05);
          throw new RangeError("boom");
        })(),
        { returnExceptions: true },
      );
      return [r[0], r[1] instanceof RangeError, r[1].message];
    }, VIRTUAL),
    ["ok", true, "boom"],
  );

  t.check(
    "cancelling a gather cancels its children",
    await run(function* () {
      const children = [createTask(sleep(5)), createTask(sleep(6))];
      const g = gather(...children);
      yield* sleep(1);
      g.cancel();
      let outcome;
      try {
        yield* g;
        outcome = "finished";
      } catch (e) {
        outcome = e.name;
      }
      return [outcome, children.map((c) => c.cancelled()), getRunningLoop().time()];
    }, VIRTUAL),
    ["CancelledError", [true, true], 1],
  );

  t.check(
    "TaskGroup: a failing child cancels the others, ExceptionGroup",
    await run(function* () {
      const record = [];
      let caught;
      try {
        yield* taskGroup(function* (tg) {
          tg.createTask(
            (function* () {
              try {
                yield* sleep(10);
              } catch (e) {
                record.push(`sibling ${e.name}`);
                throw e;
              }
            })(),
          );
          tg.createTask(
            (function* () {
              yield* sleep(1);
              throw new TypeError("child failed");
            })(),
          );
          record.push("body done");
        });
      } catch (e) {
        caught = {
          name: e.name,
          isGroup: e instanceof ExceptionGroup,
          aggregate: e instanceof AggregateError,
          children: e.exceptions.map((x) => `${x.name}: ${x.message}`),
        };
      }
      return { record, caught, time: getRunningLoop().time() };
    }, VIRTUAL),
    {
      record: ["body done", "sibling CancelledError"],
      caught: { name: "ExceptionGroup", isGroup: true, aggregate: true, children: ["TypeError: child failed"] },
      time: 1,
    },
  );

  t.check(
    "TaskGroup returns the body's value after every child",
    await run(function* () {
      const results = [];
      const value = yield* taskGroup(function* (tg) {
        for (const d of [0.3, 0.1, 0.2]) {
          tg.createTask(
            (function* () {
              yield* sleep(d);
              results.push(d);
            })(),
          );
        }
        return "body value";
      });
      return [value, results, getRunningLoop().time()];
    }, VIRTUAL),
    ["body value", [0.1, 0.2, 0.3], 0.3],
  );

  t.check(
    "shield: the inner task survives the outer cancel",
    await run(function* () {
      const inner = createTask(sleep(2, "inner result"));
      const outer = createTask(
        (function* () {
          return yield* shield(inner);
        })(),
      );
      yield* sleep(1);
      outer.cancel();
      let outerOutcome;
      try {
        yield* outer;
      } catch (e) {
        outerOutcome = e.name;
      }
      const innerResult = yield* inner;
      return [outerOutcome, innerResult, getRunningLoop().time()];
    }, VIRTUAL),
    ["CancelledError", "inner result", 2],
  );

  t.check(
    "currentTask and eager tasks",
    await run(function* () {
      const loop = getRunningLoop();
      const record = [];
      const main = currentTask();
      loop.setTaskFactory(eagerTaskFactory);
      const eager = createTask(
        (function* () {
          record.push("eager ran at creation");
          yield* sleep(0);
          return currentTask().getName();
        })(),
        { name: "eager-one" },
      );
      record.push("after createTask");
      loop.setTaskFactory(null);
      const name = yield* eager;
      return [record, name, main === currentTask()];
    }, VIRTUAL),
    [["eager ran at creation", "after createTask"], "eager-one", true],
  );
}

// The `taskGroup(function* (tg) {…})` form itself: what SPEC.md's "structured forms run inline"
// and "operations are lazy, arguments are checked eagerly" require, and what a JS body can do
// that an `async with` block cannot (return a value, not be a generator, be closed).

import { describe, expect, it } from "vitest";
import {
  CancelledError,
  ExceptionGroup,
  RuntimeError,
  Task,
  allTasks,
  createTask,
  currentTask,
  eagerTaskFactory,
  getRunningLoop,
  runSync,
  sleep,
  type Coro,
} from "../../src/index.ts";
import { TaskGroup, taskGroup } from "../../src/index.ts";
import { CORES, expectThrows } from "../helpers.ts";

class Boom extends Error {
  override name = "Boom";
}

describe.each(CORES)("%s core", (core) => {
  it("the body runs inline in the calling task and the form returns its value", () => {
    const record: string[] = [];
    const out = runSync(
      function* () {
        const me = currentTask();
        const value = yield* taskGroup(function* (tg) {
          expect(currentTask()).toBe(me); // no task of its own: `async with` runs in the caller
          tg.createTask(
            (function* () {
              record.push("child");
              yield* sleep(1);
              record.push("child done");
            })(),
          );
          record.push("body");
          yield* sleep(0.5);
          record.push("body done");
          return "value";
        });
        record.push("after");
        return value;
      },
      { core },
    );
    expect(out).toBe("value");
    expect(record).toEqual(["body", "child", "body done", "child done", "after"]);
  });

  it("taskGroup() is lazy: the body is not called until the coroutine is driven, and each call is fresh", () => {
    runSync(
      function* () {
        let calls = 0;
        const body = function* () {
          calls++;
          return calls;
        };
        const before = allTasks().size;
        const a = taskGroup(body);
        const b = taskGroup(body);
        expect(a === b).toBe(false); // (not toBe: vitest would iterate the generators to diff them)
        expect(calls).toBe(0);
        expect(allTasks().size).toBe(before);
        expect(yield* b).toBe(1);
        expect(yield* a).toBe(2);
      },
      { core },
    );
  });

  it("arguments are checked at the call: TypeError naming the argument", () => {
    expectThrows(() => taskGroup(42 as never), TypeError, /body/);
    expectThrows(() => taskGroup(undefined as never), TypeError, /body/);
    expectThrows(() => taskGroup(function* () {} as never, function* () {} as never), TypeError, /group must be a TaskGroup/);
    expectThrows(() => taskGroup(new TaskGroup(), "body" as never), TypeError, /body/);
    expectThrows(() => taskGroup({} as never, function* () {}), TypeError, /group/);
  });

  it("a body that returns no coroutine is a TypeError, thrown as is; the loop goes on", () => {
    const out = runSync(
      function* () {
        let err: unknown;
        try {
          yield* taskGroup((() => 5) as never);
        } catch (e) {
          err = e;
        }
        expect(err).toBeInstanceOf(TypeError);
        expect((err as Error).message).toMatch(/function\*/);
        yield* sleep(1);
        return getRunningLoop().time();
      },
      { core },
    );
    expect(out).toBe(1);
  });

  it("a plain function body returning a coroutine works", () => {
    function* child(tg: TaskGroup): Coro<string> {
      const t = tg.createTask(sleep(1, "slept"));
      yield* sleep(0);
      return yield* t;
    }
    expect(runSync(() => taskGroup((tg) => child(tg)), { core })).toBe("slept");
  });

  it("a plain function body that made tasks before returning no coroutine: the group waits, then fails", () => {
    runSync(
      function* () {
        let t!: Task<unknown>;
        let err: unknown;
        try {
          yield* taskGroup(((tg: TaskGroup) => {
            t = tg.createTask(sleep(10));
            return "not a coroutine";
          }) as never);
        } catch (e) {
          err = e;
        }
        expect(err).toBeInstanceOf(ExceptionGroup);
        expect((err as ExceptionGroup).exceptions).toEqual([expect.any(TypeError)]);
        expect(t.cancelled()).toBe(true);
      },
      { core },
    );
  });

  it("createTask checks its arguments: TypeError naming them, the group unharmed", () => {
    runSync(
      function* () {
        const v = yield* taskGroup(function* (tg) {
          function* work() {
            yield* sleep(1);
            return 7;
          }
          expectThrows(() => tg.createTask(work as never), TypeError, /coro/);
          expectThrows(() => tg.createTask(Promise.resolve(1) as never), TypeError, /coro/);
          const c = work();
          expectThrows(() => tg.createTask(c, null as never), TypeError, /options/);
          const t = tg.createTask(work(), { name: 12 as never });
          expect(t.getName()).toBe("12");
          return t;
        });
        expect(v.result()).toBe(7);
      },
      { core },
    );
  });

  it("an outside cancel with a message: children are cancelled first, then the same CancelledError propagates", () => {
    const record: string[] = [];
    runSync(
      function* () {
        function* child(n: number) {
          try {
            yield* sleep(10);
          } finally {
            record.push(`child ${n} cleanup`);
          }
        }
        let seen: CancelledError | null = null;
        const r = createTask(
          (function* () {
            try {
              yield* taskGroup(function* (tg) {
                tg.createTask(child(1));
                tg.createTask(child(2));
                try {
                  yield* sleep(10);
                } catch (e) {
                  seen = e as CancelledError;
                  record.push("body cancelled");
                  throw e;
                }
              });
            } catch (e) {
              record.push("group raised");
              expect(e).toBe(seen);
              throw e;
            }
          })(),
        );
        yield* sleep(1);
        r.cancel("stop now");
        let err: unknown;
        try {
          yield* r;
        } catch (e) {
          err = e;
        }
        expect(err).toBeInstanceOf(CancelledError);
        expect((err as Error).message).toBe("stop now");
        expect(err).toBe(seen);
        expect(r.cancelled()).toBe(true);
      },
      { core },
    );
    expect(record).toEqual(["body cancelled", "child 1 cleanup", "child 2 cleanup", "group raised"]);
  });

  it("the ExceptionGroup: an AggregateError, CPython's message, children in completion order in errors and exceptions", () => {
    runSync(
      function* () {
        const e1 = new Boom("late");
        const e2 = new Boom("early");
        const e3 = new Boom("in cleanup");
        let err: unknown;
        try {
          yield* taskGroup(function* (tg) {
            tg.createTask(
              (function* () {
                yield* sleep(0.2);
                throw e1;
              })(),
            );
            tg.createTask(
              (function* () {
                yield* sleep(0.1);
                throw e2;
              })(),
            );
            tg.createTask(
              (function* () {
                try {
                  yield* sleep(5);
                } finally {
                  // eslint-disable-next-line no-unsafe-finally
                  throw e3; // fails while being cancelled: collected too
                }
              })(),
            );
          });
        } catch (e) {
          err = e;
        }
        expect(err).toBeInstanceOf(ExceptionGroup);
        expect(err).toBeInstanceOf(AggregateError);
        const eg = err as ExceptionGroup;
        expect(eg.message).toBe("unhandled errors in a TaskGroup");
        // the first failure cancelled the rest: the 0.2 s child never got to throw e1
        expect(eg.exceptions).toHaveLength(2);
        expect(eg.exceptions[0]).toBe(e2);
        expect(eg.exceptions[1]).toBe(e3);
        expect(eg.errors).toHaveLength(2);
        expect(eg.errors[0]).toBe(e2);
        expect(eg.errors[1]).toBe(e3);
        expect(getRunningLoop().time()).toBeCloseTo(0.1, 9);
      },
      { core },
    );
  });

  it("toString reads like asyncio's repr through the group's life", () => {
    runSync(
      function* () {
        const tg = new TaskGroup();
        expect(String(tg)).toBe("<TaskGroup>");
        let err: unknown;
        try {
          yield* taskGroup(tg, function* () {
            tg.createTask(sleep(10));
            expect(String(tg)).toBe("<TaskGroup tasks=1 entered>");
            tg.createTask(
              (function* () {
                yield* sleep(0);
                throw new Boom();
              })(),
            );
            try {
              yield* sleep(1);
            } catch (e) {
              expect(String(tg)).toBe("<TaskGroup tasks=1 errors=1 cancelling>");
              throw e;
            }
          });
        } catch (e) {
          err = e;
        }
        expect(err).toBeInstanceOf(ExceptionGroup);
        expect(String(tg)).toBe("<TaskGroup cancelling>");
        expectThrows(() => tg.createTask(sleep(0)), RuntimeError, /<TaskGroup cancelling> is finished/);
      },
      { core },
    );
  });

  it("eager: a child that fails inside createTask does not interrupt the body before its next yield* (gh-128550)", () => {
    const record: string[] = [];
    runSync(
      function* () {
        getRunningLoop().setTaskFactory(eagerTaskFactory as never);
        let err: unknown;
        try {
          yield* taskGroup(function* (tg) {
            const t = tg.createTask(
              (function* () {
                record.push("child ran");
                throw new Boom();
              })(),
            );
            expect(t.done()).toBe(true);
            record.push("body goes on");
            try {
              yield* sleep(1);
            } catch (e) {
              if (e instanceof CancelledError) record.push("body cancelled at its yield*");
              throw e;
            }
          });
        } catch (e) {
          err = e;
        }
        expect((err as ExceptionGroup).exceptions).toEqual([expect.any(Boom)]);
        expect(currentTask()!.cancelling()).toBe(0);
      },
      { core },
    );
    expect(record).toEqual(["child ran", "body goes on", "body cancelled at its yield*"]);
  });

  it("closing the form's generator while it is suspended cancels the children", () => {
    runSync(
      function* () {
        let child!: Task<unknown>;
        const form = taskGroup(function* (tg) {
          child = tg.createTask(sleep(10));
          yield* sleep(5);
        });
        const holder = createTask(form);
        yield* sleep(1);
        expect(child.done()).toBe(false);
        form.return(undefined); // e.g. a caller that abandons the coroutine
        yield* sleep(0);
        expect(child.cancelled()).toBe(true);
        holder.cancel();
        try {
          yield* holder;
        } catch {
          // the abandoned holder ends cancelled
        }
      },
      { core },
    );
  });

  it("a child failing after the group's task ended is reported to the exception handler (taskgroups.py's parent-done branch)", () => {
    const reports: { message?: string; exception?: unknown; task?: unknown }[] = [];
    const late = new Boom("late failure");
    runSync(
      function* () {
        getRunningLoop().setExceptionHandler((_loop, ctx) => reports.push(ctx));
        let child!: Task<unknown>;
        const form = taskGroup(function* (tg) {
          child = tg.createTask(
            (function* () {
              try {
                yield* sleep(10);
              } catch {
                // swallows the group's cancellation, then fails on its own
              }
              yield* sleep(1);
              throw late;
            })(),
            { name: "stubborn" },
          );
          yield* sleep(5);
        });
        const holder = createTask(form, { name: "holder" });
        yield* sleep(1);
        form.return(undefined); // abandon the block: the child is cancelled (and ignores it)
        holder.cancel();
        try {
          yield* holder;
        } catch {
          // the holder ends cancelled
        }
        expect(holder.done()).toBe(true);
        yield* sleep(2);
        expect(child.done()).toBe(true);
      },
      { core },
    );
    expect(reports).toHaveLength(1);
    expect(reports[0].message).toMatch(/has errored out but its parent task .*holder.* is already completed/);
    expect(reports[0].exception).toBe(late);
    expect((reports[0].task as Task<unknown>).getName()).toBe("stubborn");
  });

  it("children's errors are retrieved by the group: nothing is reported as never retrieved", () => {
    const reports: unknown[] = [];
    expect(() =>
      runSync(
        function* () {
          getRunningLoop().setExceptionHandler((_loop, ctx) => reports.push(ctx.message));
          yield* taskGroup(function* (tg) {
            for (let i = 0; i < 3; i++) {
              tg.createTask(
                (function* () {
                  yield* sleep(0.1);
                  throw new Boom(String(i));
                })(),
              );
            }
          });
        },
        { core },
      ),
    ).toThrow(ExceptionGroup);
    expect(reports).toEqual([]);
  });

  it("a group in a child task of another group: errors nest, siblings are cancelled at each level", () => {
    runSync(
      function* () {
        const record: string[] = [];
        function* leaf() {
          yield* sleep(0.1);
          throw new Boom("leaf");
        }
        function* sibling(name: string) {
          try {
            yield* sleep(10);
          } catch (e) {
            record.push(`${name} cancelled`);
            throw e;
          }
        }
        function* middle() {
          yield* taskGroup(function* (inner) {
            inner.createTask(leaf());
            inner.createTask(sibling("inner sibling"));
          });
        }
        let err: unknown;
        try {
          yield* taskGroup(function* (outer) {
            outer.createTask(middle());
            outer.createTask(sibling("outer sibling"));
          });
        } catch (e) {
          err = e;
        }
        const eg = err as ExceptionGroup;
        expect(eg.exceptions).toHaveLength(1);
        expect(eg.exceptions[0]).toBeInstanceOf(ExceptionGroup);
        expect((eg.exceptions[0] as ExceptionGroup).exceptions).toEqual([expect.any(Boom)]);
        expect(record).toEqual(["inner sibling cancelled", "outer sibling cancelled"]);
        expect(currentTask()!.cancelling()).toBe(0);
      },
      { core },
    );
  });
});

// TaskGroup — ported from CPython's test_asyncio/test_taskgroups.py (3.11 tree, plus the 3.12 and
// 3.13 additions and the 3.13.x regression tests). Like CPython (TestTaskGroup and
// TestEagerTaskTaskGroup), the whole suite runs with lazy tasks and with eagerTaskFactory, on
// both cores. `async with TaskGroup() as g:` is `yield* taskGroup(function* (g) { … })`; order is
// asserted with record arrays and the virtual clock, never real time.
//
// Not ported: test_taskgroup_task_context (JS has no contextvars), test_taskgroup_20/_21 as
// written (JS has no KeyboardInterrupt/BaseException: their ports below check that any thrown
// value is collected like an error), and test_exception_refcycles_* (reference cycles are not a
// concern for a tracing GC).

import { describe, expect, it } from "vitest";
import {
  CancelledError,
  ExceptionGroup,
  RuntimeError,
  Task,
  ValueError,
  createTask,
  currentTask,
  eagerTaskFactory,
  getRunningLoop,
  runSync,
  sleep,
  type Coro,
} from "../../src/index.ts";
import { TaskGroup, taskGroup } from "../../src/index.ts";
import { CORES, expectThrows, makeLoop } from "../helpers.ts";

class MyExc extends Error {
  override name = "MyExc";
}
class ZeroDivisionError extends Error {
  override name = "ZeroDivisionError";
}
/** Not an Error: JS's nearest to Python's BaseException subclasses (anything can be thrown). */
class MyBaseExc {}

/** get_error_types(eg): the set of the group's direct children's class names. */
function errorTypes(eg: unknown): Set<string> {
  expect(eg).toBeInstanceOf(ExceptionGroup);
  return new Set((eg as ExceptionGroup).exceptions.map((e) => (e as object).constructor.name));
}

/** `with assertRaises(...)`: drive `aw` and return what it threw; fail if it did not throw. */
function* raises(aw: { [Symbol.iterator](): Iterator<unknown, unknown, unknown> }): Coro<unknown> {
  try {
    yield* aw;
  } catch (exc) {
    return exc;
  }
  throw new Error("expected the awaitable to fail, it succeeded");
}

const FACTORIES = ["lazy", "eager"] as const;

describe.each(CORES)("%s core", (core) => {
  describe.each(FACTORIES)("%s tasks", (factory) => {
    /** IsolatedAsyncioTestCase: run the test coroutine on a fresh loop with this task factory. */
    function run<T>(main: () => Coro<T>): T {
      return runSync(
        function* () {
          if (factory === "eager") getRunningLoop().setTaskFactory(eagerTaskFactory as never);
          return yield* main();
        },
        { core },
      );
    }

    it("children's results are there when the group ends (test_taskgroups.test_taskgroup_01)", () => {
      run(function* () {
        function* foo1() {
          yield* sleep(0.1);
          return 42;
        }
        function* foo2() {
          yield* sleep(0.2);
          return 11;
        }
        let t1!: Task<number>;
        let t2!: Task<number>;
        yield* taskGroup(function* (g) {
          t1 = g.createTask(foo1());
          t2 = g.createTask(foo2());
        });
        expect(t1.result()).toBe(42);
        expect(t2.result()).toBe(11);
        expect(getRunningLoop().time()).toBeCloseTo(0.2, 9);
      });
    });

    it("a task created after an await in the body is waited for too (test_taskgroups.test_taskgroup_02)", () => {
      run(function* () {
        function* foo1() {
          yield* sleep(0.1);
          return 42;
        }
        function* foo2() {
          yield* sleep(0.2);
          return 11;
        }
        let t1!: Task<number>;
        let t2!: Task<number>;
        yield* taskGroup(function* (g) {
          t1 = g.createTask(foo1());
          yield* sleep(0.15);
          t2 = g.createTask(foo2());
        });
        expect(t1.result()).toBe(42);
        expect(t2.result()).toBe(11);
        expect(getRunningLoop().time()).toBeCloseTo(0.35, 9);
      });
    });

    it("a child cancelled explicitly does not fail the group (test_taskgroups.test_taskgroup_03)", () => {
      run(function* () {
        function* foo1() {
          yield* sleep(1);
          return 42;
        }
        function* foo2() {
          yield* sleep(0.2);
          return 11;
        }
        let t1!: Task<number>;
        let t2!: Task<number>;
        yield* taskGroup(function* (g) {
          t1 = g.createTask(foo1());
          yield* sleep(0.15);
          // cancel t1 explicitly: everything else goes on as expected
          t1.cancel();
          t2 = g.createTask(foo2());
        });
        expect(t1.cancelled()).toBe(true);
        expect(t2.result()).toBe(11);
      });
    });

    it("a failing child cancels its sibling; code after the group does not run (test_taskgroups.test_taskgroup_04)", () => {
      run(function* () {
        let NUM = 0;
        let t2Cancel = false;
        let t2!: Task<void>;
        function* foo1() {
          yield* sleep(0.1);
          throw new ZeroDivisionError();
        }
        function* foo2() {
          try {
            yield* sleep(1);
          } catch (e) {
            if (e instanceof CancelledError) t2Cancel = true;
            throw e;
          }
          NUM += 1;
        }
        function* runner() {
          yield* taskGroup(function* (g) {
            g.createTask(foo1());
            t2 = g.createTask(foo2());
          });
          NUM += 10;
        }
        const err = yield* raises(createTask(runner()));
        expect(errorTypes(err)).toEqual(new Set(["ZeroDivisionError"]));
        expect(NUM).toBe(0);
        expect(t2Cancel).toBe(true);
        expect(t2.cancelled()).toBe(true);
      });
    });

    it("a child error cancels the other children and the body (test_taskgroups.test_cancel_children_on_child_error)", () => {
      run(function* () {
        let NUM = 0;
        let t2Cancel = false;
        let runnerCancel = false;
        function* foo1() {
          yield* sleep(0.1);
          throw new ZeroDivisionError();
        }
        function* foo2() {
          try {
            yield* sleep(5);
          } catch (e) {
            if (e instanceof CancelledError) t2Cancel = true;
            throw e;
          }
          NUM += 1;
        }
        function* runner() {
          yield* taskGroup(function* (g) {
            g.createTask(foo1());
            g.createTask(foo1());
            g.createTask(foo1());
            g.createTask(foo2());
            try {
              yield* sleep(10);
            } catch (e) {
              if (e instanceof CancelledError) runnerCancel = true;
              throw e;
            }
          });
          NUM += 10;
        }
        const err = yield* raises(createTask(runner()));
        expect(errorTypes(err)).toEqual(new Set(["ZeroDivisionError"]));
        // the three foo1 fail in the same iteration: all three errors are collected
        expect((err as ExceptionGroup).exceptions).toHaveLength(3);
        expect(NUM).toBe(0);
        expect(t2Cancel).toBe(true);
        expect(runnerCancel).toBe(true);
      });
    });

    it("cancelling the parent task cancels every child (test_taskgroups.test_cancellation)", () => {
      run(function* () {
        let NUM = 0;
        function* foo() {
          try {
            yield* sleep(5);
          } catch (e) {
            if (e instanceof CancelledError) NUM += 1;
            throw e;
          }
        }
        function* runner() {
          yield* taskGroup(function* (g) {
            for (let i = 0; i < 5; i++) g.createTask(foo());
          });
        }
        const r = createTask(runner());
        yield* sleep(0.1);
        expect(r.done()).toBe(false);
        r.cancel();
        expect(yield* raises(r)).toBeInstanceOf(CancelledError);
        expect(NUM).toBe(5);
      });
    });

    it("cancelling the parent reaches the body and the children (test_taskgroups.test_taskgroup_07)", () => {
      run(function* () {
        let NUM = 0;
        function* foo() {
          try {
            yield* sleep(5);
          } catch (e) {
            if (e instanceof CancelledError) NUM += 1;
            throw e;
          }
        }
        function* runner() {
          yield* taskGroup(function* (g) {
            for (let i = 0; i < 5; i++) g.createTask(foo());
            try {
              yield* sleep(10);
            } catch (e) {
              if (e instanceof CancelledError) NUM += 10;
              throw e;
            }
          });
        }
        const r = createTask(runner());
        yield* sleep(0.1);
        expect(r.done()).toBe(false);
        r.cancel();
        expect(yield* raises(r)).toBeInstanceOf(CancelledError);
        expect(NUM).toBe(15);
      });
    });

    it("children failing while being cancelled turn the cancellation into an ExceptionGroup (test_taskgroups.test_taskgroup_08)", () => {
      run(function* () {
        function* foo() {
          try {
            yield* sleep(10);
          } finally {
            // eslint-disable-next-line no-unsafe-finally
            throw new ZeroDivisionError();
          }
        }
        function* runner() {
          yield* taskGroup(function* (g) {
            for (let i = 0; i < 5; i++) g.createTask(foo());
            yield* sleep(10);
          });
        }
        const r = createTask(runner());
        yield* sleep(0.1);
        expect(r.done()).toBe(false);
        r.cancel();
        const err = yield* raises(r);
        expect(errorTypes(err)).toEqual(new Set(["ZeroDivisionError"]));
        expect((err as ExceptionGroup).exceptions).toHaveLength(5);
      });
    });

    it("an error in the body after an await cancels the children (test_taskgroups.test_taskgroup_09)", () => {
      run(function* () {
        let t1!: Task<number>;
        let t2!: Task<number>;
        function* foo1() {
          yield* sleep(1);
          return 42;
        }
        function* foo2() {
          yield* sleep(2);
          return 11;
        }
        function* runner() {
          yield* taskGroup(function* (g) {
            t1 = g.createTask(foo1());
            t2 = g.createTask(foo2());
            yield* sleep(0.1);
            throw new ZeroDivisionError();
          });
        }
        const err = yield* raises(runner());
        expect(errorTypes(err)).toEqual(new Set(["ZeroDivisionError"]));
        expect(t1.cancelled()).toBe(true);
        expect(t2.cancelled()).toBe(true);
      });
    });

    it("an error in the body before any await cancels the children (test_taskgroups.test_taskgroup_10)", () => {
      run(function* () {
        let t1!: Task<number>;
        let t2!: Task<number>;
        function* foo1() {
          yield* sleep(1);
          return 42;
        }
        function* foo2() {
          yield* sleep(2);
          return 11;
        }
        function* runner() {
          yield* taskGroup(function* (g) {
            t1 = g.createTask(foo1());
            t2 = g.createTask(foo2());
            throw new ZeroDivisionError();
          });
        }
        const err = yield* raises(runner());
        expect(errorTypes(err)).toEqual(new Set(["ZeroDivisionError"]));
        expect(t1.cancelled()).toBe(true);
        expect(t2.cancelled()).toBe(true);
      });
    });

    it("nested groups: the inner ExceptionGroup is wrapped by the outer one (test_taskgroups.test_taskgroup_11)", () => {
      run(function* () {
        function* foo() {
          try {
            yield* sleep(10);
          } finally {
            // eslint-disable-next-line no-unsafe-finally
            throw new ZeroDivisionError();
          }
        }
        function* runner() {
          yield* taskGroup(function* () {
            yield* taskGroup(function* (g2) {
              for (let i = 0; i < 5; i++) g2.createTask(foo());
              yield* sleep(10);
            });
          });
        }
        const r = createTask(runner());
        yield* sleep(0.1);
        expect(r.done()).toBe(false);
        r.cancel();
        const err = yield* raises(r);
        expect(errorTypes(err)).toEqual(new Set(["ExceptionGroup"]));
        expect(errorTypes((err as ExceptionGroup).exceptions[0])).toEqual(new Set(["ZeroDivisionError"]));
      });
    });

    it("nested groups with a sibling in the outer group (test_taskgroups.test_taskgroup_12)", () => {
      run(function* () {
        function* foo() {
          try {
            yield* sleep(10);
          } finally {
            // eslint-disable-next-line no-unsafe-finally
            throw new ZeroDivisionError();
          }
        }
        function* runner() {
          yield* taskGroup(function* (g1) {
            g1.createTask(sleep(10));
            yield* taskGroup(function* (g2) {
              for (let i = 0; i < 5; i++) g2.createTask(foo());
              yield* sleep(10);
            });
          });
        }
        const r = createTask(runner());
        yield* sleep(0.1);
        expect(r.done()).toBe(false);
        r.cancel();
        const err = yield* raises(r);
        expect(errorTypes(err)).toEqual(new Set(["ExceptionGroup"]));
        expect(errorTypes((err as ExceptionGroup).exceptions[0])).toEqual(new Set(["ZeroDivisionError"]));
      });
    });

    it("an outer child failing cancels the inner group, whose cancellation is absorbed (test_taskgroups.test_taskgroup_13)", () => {
      run(function* () {
        function* crashAfter(t: number) {
          yield* sleep(t);
          throw new ValueError(String(t));
        }
        function* runner() {
          yield* taskGroup(function* (g1) {
            g1.createTask(crashAfter(0.1));
            yield* taskGroup(function* (g2) {
              g2.createTask(crashAfter(10));
            });
          });
        }
        const err = yield* raises(createTask(runner()));
        expect(errorTypes(err)).toEqual(new Set(["ValueError"]));
        expect(getRunningLoop().time()).toBeCloseTo(0.1, 9);
      });
    });

    it("an inner child failing: the inner group's ExceptionGroup fails the outer group (test_taskgroups.test_taskgroup_14)", () => {
      run(function* () {
        function* crashAfter(t: number) {
          yield* sleep(t);
          throw new ValueError(String(t));
        }
        function* runner() {
          yield* taskGroup(function* (g1) {
            g1.createTask(crashAfter(10));
            yield* taskGroup(function* (g2) {
              g2.createTask(crashAfter(0.1));
            });
          });
        }
        const err = yield* raises(createTask(runner()));
        expect(errorTypes(err)).toEqual(new Set(["ExceptionGroup"]));
        expect(errorTypes((err as ExceptionGroup).exceptions[0])).toEqual(new Set(["ValueError"]));
      });
    });

    it("a child failing while the cancelled body still cleans up (test_taskgroups.test_taskgroup_15)", () => {
      run(function* () {
        function* crashSoon() {
          yield* sleep(0.3);
          throw new ZeroDivisionError();
        }
        function* runner() {
          yield* taskGroup(function* (g1) {
            g1.createTask(crashSoon());
            try {
              yield* sleep(10);
            } catch (e) {
              if (e instanceof CancelledError) yield* sleep(0.5);
              throw e;
            }
          });
        }
        const r = createTask(runner());
        yield* sleep(0.1);
        expect(r.done()).toBe(false);
        r.cancel();
        const err = yield* raises(r);
        expect(errorTypes(err)).toEqual(new Set(["ZeroDivisionError"]));
      });
    });

    it("the same through a task awaiting the group's task (test_taskgroups.test_taskgroup_16)", () => {
      run(function* () {
        function* crashSoon() {
          yield* sleep(0.3);
          throw new ZeroDivisionError();
        }
        function* nestedRunner() {
          yield* taskGroup(function* (g1) {
            g1.createTask(crashSoon());
            try {
              yield* sleep(10);
            } catch (e) {
              if (e instanceof CancelledError) yield* sleep(0.5);
              throw e;
            }
          });
        }
        function* runner() {
          const t = createTask(nestedRunner());
          yield* t;
        }
        const r = createTask(runner());
        yield* sleep(0.1);
        expect(r.done()).toBe(false);
        r.cancel();
        const err = yield* raises(r);
        expect(errorTypes(err)).toEqual(new Set(["ZeroDivisionError"]));
      });
    });

    it("an empty group propagates the parent's cancellation (test_taskgroups.test_taskgroup_17)", () => {
      run(function* () {
        let NUM = 0;
        function* runner() {
          yield* taskGroup(function* () {
            try {
              yield* sleep(10);
            } catch (e) {
              if (e instanceof CancelledError) NUM += 10;
              throw e;
            }
          });
        }
        const r = createTask(runner());
        yield* sleep(0.1);
        expect(r.done()).toBe(false);
        r.cancel();
        expect(yield* raises(r)).toBeInstanceOf(CancelledError);
        expect(NUM).toBe(10);
      });
    });

    it("a body that turns its cancellation into an error raises that error in a group (test_taskgroups.test_taskgroup_18)", () => {
      run(function* () {
        let NUM = 0;
        function* runner() {
          yield* taskGroup(function* () {
            try {
              yield* sleep(10);
            } catch (e) {
              if (!(e instanceof CancelledError)) throw e;
              NUM += 10;
              // not a good idea, but it has to be supported
              throw new MyExc();
            }
          });
        }
        const r = createTask(runner());
        yield* sleep(0.1);
        expect(r.done()).toBe(false);
        r.cancel();
        const err = yield* raises(r);
        expect(errorTypes(err)).toEqual(new Set(["MyExc"]));
        expect(NUM).toBe(10);
      });
    });

    it("the body's error and the child's error are raised together (test_taskgroups.test_taskgroup_19)", () => {
      run(function* () {
        function* crashSoon() {
          yield* sleep(0.1);
          throw new ZeroDivisionError();
        }
        function* nested() {
          try {
            yield* sleep(10);
          } finally {
            // eslint-disable-next-line no-unsafe-finally
            throw new MyExc();
          }
        }
        function* runner() {
          yield* taskGroup(function* (g) {
            g.createTask(crashSoon());
            yield* nested();
          });
        }
        const err = yield* raises(createTask(runner()));
        expect(errorTypes(err)).toEqual(new Set(["MyExc", "ZeroDivisionError"]));
        // the children's errors first (completion order), the body's last
        expect((err as ExceptionGroup).exceptions.map((e) => (e as Error).name)).toEqual(["ZeroDivisionError", "MyExc"]);
      });
    });

    it("a thrown non-Error value in the body is collected, not special (test_taskgroups.test_taskgroup_20, JS has no KeyboardInterrupt)", () => {
      run(function* () {
        function* crashSoon() {
          yield* sleep(0.1);
          throw new ZeroDivisionError();
        }
        function* nested() {
          try {
            yield* sleep(10);
          } finally {
            // eslint-disable-next-line no-unsafe-finally
            throw "interrupt";
          }
        }
        function* runner() {
          yield* taskGroup(function* (g) {
            g.createTask(crashSoon());
            yield* nested();
          });
        }
        const err = yield* raises(runner());
        expect((err as ExceptionGroup).exceptions).toEqual([expect.any(ZeroDivisionError), "interrupt"]);
      });
    });

    it("a body raising a non-Error object joins the children's errors (test_taskgroups.test_taskgroup_20a)", () => {
      run(function* () {
        function* crashSoon() {
          yield* sleep(0.1);
          throw new ZeroDivisionError();
        }
        function* nested() {
          try {
            yield* sleep(10);
          } finally {
            // eslint-disable-next-line no-unsafe-finally
            throw new MyBaseExc();
          }
        }
        function* runner() {
          yield* taskGroup(function* (g) {
            g.createTask(crashSoon());
            yield* nested();
          });
        }
        const err = yield* raises(runner());
        expect(errorTypes(err)).toEqual(new Set(["MyBaseExc", "ZeroDivisionError"]));
      });
    });

    it("a child raising a non-Error object joins the body's error (test_taskgroups.test_taskgroup_21a)", () => {
      run(function* () {
        function* crashSoon() {
          yield* sleep(0.1);
          throw new MyBaseExc();
        }
        function* nested() {
          try {
            yield* sleep(10);
          } finally {
            // eslint-disable-next-line no-unsafe-finally
            throw new TypeError();
          }
        }
        function* runner() {
          yield* taskGroup(function* (g) {
            g.createTask(crashSoon());
            yield* nested();
          });
        }
        const err = yield* raises(runner());
        expect(errorTypes(err)).toEqual(new Set(["MyBaseExc", "TypeError"]));
      });
    });

    it("cancelling a task waiting at the group's end raises CancelledError (test_taskgroups.test_taskgroup_22)", () => {
      run(function* () {
        function* foo1() {
          yield* sleep(1);
          return 42;
        }
        function* foo2() {
          yield* sleep(2);
          return 11;
        }
        function* runner() {
          yield* taskGroup(function* (g) {
            g.createTask(foo1());
            g.createTask(foo2());
          });
        }
        const r = createTask(runner());
        yield* sleep(0.05);
        r.cancel();
        expect(yield* raises(r)).toBeInstanceOf(CancelledError);
        expect(getRunningLoop().time()).toBeCloseTo(0.05, 9);
      });
    });

    it("finished children leave the group's task set (test_taskgroups.test_taskgroup_23)", () => {
      run(function* () {
        function* doJob(delay: number) {
          yield* sleep(delay);
        }
        yield* taskGroup(function* (g) {
          for (let count = 0; count < 10; count++) {
            yield* sleep(0.1);
            g.createTask(doJob(0.3));
            if (count === 5) expect(g._tasks.size).toBeLessThan(5);
          }
          yield* sleep(1.35);
          expect(g._tasks.size).toBe(0);
        });
      });
    });

    it("children may create tasks while the group is exiting (test_taskgroups.test_taskgroup_24)", () => {
      run(function* () {
        const record: string[] = [];
        function* root(g: TaskGroup) {
          yield* sleep(0.1);
          g.createTask(coro1(0.1));
          g.createTask(coro1(0.2));
        }
        function* coro1(delay: number) {
          yield* sleep(delay);
          record.push(`coro1(${delay})`);
        }
        yield* taskGroup(function* (g) {
          g.createTask(root(g));
        });
        expect(record).toEqual(["coro1(0.1)", "coro1(0.2)"]);
        expect(getRunningLoop().time()).toBeCloseTo(0.3, 9);
      });
    });

    it("a multiplying set of children is cancelled by one failure (test_taskgroups.test_taskgroup_25)", () => {
      run(function* () {
        let nhydras = 0;
        function* hydra(g: TaskGroup): Coro<void> {
          nhydras += 1;
          yield* sleep(0.01);
          g.createTask(hydra(g));
          g.createTask(hydra(g));
        }
        function* hercules() {
          while (nhydras < 10) yield* sleep(0.015);
          throw new ZeroDivisionError();
        }
        const err = yield* raises(
          taskGroup(function* (g) {
            g.createTask(hydra(g));
            g.createTask(hercules());
          }),
        );
        expect(errorTypes(err)).toEqual(new Set(["ZeroDivisionError"]));
        expect(nhydras).toBeGreaterThanOrEqual(10);
      });
    });

    it("createTask takes a name (test_taskgroups.test_taskgroup_task_name)", () => {
      run(function* () {
        function* coro() {
          yield* sleep(0);
        }
        yield* taskGroup(function* (g) {
          const t = g.createTask(coro(), { name: "yolo" });
          expect(t.getName()).toBe("yolo");
        });
      });
    });

    it("no createTask once a child failed: 'is shutting down' (test_taskgroups.test_taskgroup_no_create_task_after_failure)", () => {
      run(function* () {
        let started = false;
        function* coro1() {
          started = true;
          yield* sleep(0.001);
          throw new ZeroDivisionError();
        }
        function* coro2(g: TaskGroup) {
          started = false;
          try {
            yield* sleep(1);
          } catch (e) {
            if (!(e instanceof CancelledError)) throw e;
            const late = coro1();
            expectThrows(() => g.createTask(late), RuntimeError, /is shutting down/);
            // 3.13: the refused coroutine is closed, never run
            expect(late.next()).toEqual({ done: true, value: undefined });
            expect(started).toBe(false);
          }
        }
        const err = yield* raises(
          taskGroup(function* (g) {
            g.createTask(coro1());
            g.createTask(coro2(g));
          }),
        );
        expect(errorTypes(err)).toEqual(new Set(["ZeroDivisionError"]));
      });
    });

    it("an error raised while the cancelled body unwinds joins the child's (test_taskgroups.test_taskgroup_context_manager_exit_raises)", () => {
      run(function* () {
        class CustomException extends Error {}
        function* raiseExc() {
          throw new CustomException();
        }
        function* main() {
          const task = currentTask()!;
          try {
            yield* taskGroup(function* (tg) {
              // the body of `async with database():` whose __aexit__ raises
              try {
                tg.createTask(raiseExc());
                yield* sleep(1);
              } finally {
                // eslint-disable-next-line no-unsafe-finally
                throw new CustomException();
              }
            });
          } catch (err) {
            expect(errorTypes(err)).toEqual(new Set(["CustomException"]));
            expect(task.cancelling()).toBe(0);
            expect((err as ExceptionGroup).exceptions).toHaveLength(2);
            return "caught";
          }
          throw new Error("CustomException not raised");
        }
        expect(yield* createTask(main())).toBe("caught");
      });
    });

    it("entering a group inside itself: 'has already been entered' (test_taskgroups.test_taskgroup_already_entered)", () => {
      run(function* () {
        const tg = new TaskGroup();
        yield* taskGroup(tg, function* () {
          const err = yield* raises(taskGroup(tg, function* () {}));
          expect(err).toBeInstanceOf(RuntimeError);
          expect((err as Error).message).toMatch(/has already been entered/);
        });
      });
    });

    it("entering a group twice: 'has already been entered' (test_taskgroups.test_taskgroup_double_enter)", () => {
      run(function* () {
        const tg = new TaskGroup();
        yield* taskGroup(tg, function* () {});
        const err = yield* raises(taskGroup(tg, function* () {}));
        expect(err).toBeInstanceOf(RuntimeError);
        expect((err as Error).message).toMatch(/has already been entered/);
      });
    });

    it("createTask after the group ended: 'is finished', and the coroutine is closed (test_taskgroups.test_taskgroup_finished)", () => {
      run(function* () {
        let ran = false;
        function* coro() {
          ran = true;
          yield* sleep(0);
        }
        const tg = new TaskGroup();
        yield* taskGroup(tg, function* () {});
        const c = coro();
        expectThrows(() => tg.createTask(c), RuntimeError, /is finished/);
        expect(c.next()).toEqual({ done: true, value: undefined });
        expect(ran).toBe(false);
      });
    });

    it("createTask on a group never entered: 'has not been entered' (test_taskgroups.test_taskgroup_not_entered)", () => {
      run(function* () {
        const tg = new TaskGroup();
        const c = sleep(0);
        expectThrows(() => tg.createTask(c), RuntimeError, /has not been entered/);
        expect(c.next()).toEqual({ done: true, value: undefined });
      });
    });

    it("a group entered outside any task: 'cannot determine the parent task' (test_taskgroups.test_taskgroup_without_parent_task)", () => {
      run(function* () {
        const loop = getRunningLoop();
        const tg = new TaskGroup();
        const seen = loop.createFuture<unknown>();
        // await_without_task: drive the entering coroutine from a plain callback
        loop.callSoon(() => {
          try {
            taskGroup(tg, function* () {}).next();
            seen.setResult(null);
          } catch (e) {
            seen.setResult(e);
          }
        });
        const err = yield* seen;
        expect(err).toBeInstanceOf(RuntimeError);
        expect((err as Error).message).toMatch(/parent task/);
        expectThrows(() => tg.createTask(sleep(0)), RuntimeError, /has not been entered/);
      });
    });

    it("a coroutine refused by a finished group is closed (test_taskgroups.test_coro_closed_when_tg_closed)", async () => {
      const loop = makeLoop(core);
      if (factory === "eager") loop.setTaskFactory(eagerTaskFactory as never);
      let ran = false;
      function* coro() {
        ran = true;
        yield* sleep(0);
      }
      function* runCoroAfterTgCloses() {
        let tg!: TaskGroup;
        yield* taskGroup(function* (g) {
          tg = g;
        });
        const c = coro();
        expectThrows(() => tg.createTask(c), RuntimeError, /is finished/);
        return c;
      }
      const c = await loop.runUntilComplete(runCoroAfterTgCloses());
      expect(c.next().done).toBe(true);
      expect(ran).toBe(false);
    });

    it("the group's own cancellation of the parent is withdrawn (test_taskgroups.test_cancelling_level_preserved)", () => {
      run(function* () {
        function* raiseAfter(t: number, E: new () => Error) {
          yield* sleep(t);
          throw new E();
        }
        const err = yield* raises(
          taskGroup(function* (tg) {
            tg.createTask(raiseAfter(0.0, RuntimeError));
          }),
        );
        expect(errorTypes(err)).toEqual(new Set(["RuntimeError"]));
        expect(currentTask()!.cancelling()).toBe(0);
      });
    });

    it("two nested groups both cancel the parent; each withdraws its own request (test_taskgroups.test_nested_groups_both_cancelled)", () => {
      run(function* () {
        function* raiseAfter(t: number, E: new () => Error) {
          yield* sleep(t);
          throw new E();
        }
        const outerErr = yield* raises(
          taskGroup(function* (outerTg) {
            const innerErr = yield* raises(
              taskGroup(function* (innerTg) {
                innerTg.createTask(raiseAfter(0, RuntimeError));
                outerTg.createTask(raiseAfter(0, ValueError));
              }),
            );
            expect(errorTypes(innerErr)).toEqual(new Set(["RuntimeError"]));
            expect(currentTask()!.cancelling()).toBe(1);
          }),
        );
        expect(errorTypes(outerErr)).toEqual(new Set(["ValueError"]));
        expect(currentTask()!.cancelling()).toBe(0);
      });
    });

    it("a child error plus an outside cancel: the group raises, the task stays cancelled (test_taskgroups.test_error_and_cancel)", () => {
      run(function* () {
        const record: string[] = [];
        const event = getRunningLoop().createFuture<null>();
        function* raiseError() {
          if (!event.done()) event.setResult(null);
          yield* sleep(0);
          throw new RuntimeError();
        }
        function* inner() {
          try {
            yield* taskGroup(function* (tg) {
              tg.createTask(raiseError());
              yield* sleep(1);
              record.push("sleep in group was not cancelled");
            });
          } catch (e) {
            expect(errorTypes(e)).toEqual(new Set(["RuntimeError"]));
            expect(currentTask()!.cancelling()).toBe(1);
          }
          expect(currentTask()!.cancelling()).toBe(1);
          yield* sleep(1);
          record.push("sleep after group was not cancelled");
        }
        const t = createTask(inner());
        yield* event;
        expect(t.cancelling()).toBe(0);
        t.cancel();
        expect(t.cancelling()).toBe(1);
        expect(yield* raises(t)).toBeInstanceOf(CancelledError);
        expect(t.cancelled()).toBe(true);
        expect(record).toEqual([]);
      });
    });

    it("the child sees the name given to createTask (test_taskgroups.test_name)", () => {
      run(function* () {
        let name: string | null = null;
        function* asyncfn() {
          name = currentTask()!.getName();
        }
        yield* taskGroup(function* (tg) {
          tg.createTask(asyncfn(), { name: "example name" });
        });
        expect(name).toBe("example name");
      });
    });

    it("a child failing while being created cancels its creator at its next await (test_taskgroups.test_cancels_task_if_created_during_creation)", () => {
      run(function* () {
        let ran = false;
        class MyError extends Error {}
        const err = yield* raises(
          taskGroup(function* (tg) {
            function* thirdTask() {
              throw new MyError("third task failed");
            }
            function* secondTask() {
              tg.createTask(thirdTask());
              let cancelled = false;
              try {
                yield* sleep(0); // eager tasks are cancelled here
                yield* sleep(0); // lazy tasks here
              } catch (e) {
                if (!(e instanceof CancelledError)) throw e;
                cancelled = true;
              }
              expect(cancelled).toBe(true);
              ran = true;
            }
            tg.createTask(secondTask());
          }),
        );
        expect(ran).toBe(true);
        expect((err as ExceptionGroup).exceptions[0]).toBeInstanceOf(MyError);
      });
    });

    it("the cancellation used to stop the body does not leak out of the group (test_taskgroups.test_cancellation_does_not_leak_out_of_tg)", () => {
      run(function* () {
        class MyError extends Error {}
        function* throwError() {
          throw new MyError();
        }
        const err = yield* raises(
          taskGroup(function* (tg) {
            tg.createTask(throwError());
          }),
        );
        expect((err as ExceptionGroup).exceptions).toEqual([expect.any(MyError)]);
        // a leaked cancellation would be delivered here
        yield* sleep(0);
        expect(currentTask()!.cancelling()).toBe(0);
      });
    });
  });
});

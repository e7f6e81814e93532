// Awaiting futures: the `yield*` protocol (Python's Future.__await__), the thenable interop and
// wrap(promise) — ported from CPython's test_futures.py (test_yield_from_twice, test_iter,
// test_future_stop_iteration_args, test_wrap_future*).

import { describe, expect, it } from "vitest";
import {
  CancelledError,
  RuntimeError,
  ValueError,
  createTask,
  getRunningLoop,
  run,
  sleep,
  wrap,
} from "../../src/index.ts";
import { CORES, expectThrows, makeLoop, runOnce } from "../helpers.ts";

describe.each(CORES)("%s core", (core) => {
  it("the iterator yields the future once, then returns its result; a second yield* does not yield (test_futures.BaseFutureTests.test_yield_from_twice)", () => {
    const loop = makeLoop(core);
    const f = loop.createFuture();
    function* fixture(): Generator<unknown, void, unknown> {
      yield "A";
      const x = yield* f;
      yield ["B", x];
      const y = yield* f;
      yield ["C", y];
    }
    const g = fixture();
    expect(g.next().value).toBe("A");
    expect(g.next().value).toBe(f); // first yield* f hands the future to the driver
    f.setResult(42);
    expect(g.next().value).toEqual(["B", 42]);
    expect(g.next().value).toEqual(["C", 42]); // done future: no yield
  });

  it("resuming the iterator while the future is pending throws RuntimeError (test_futures.BaseFutureTests.test_iter)", () => {
    const loop = makeLoop(core);
    const fut = loop.createFuture();
    const it = fut[Symbol.iterator]();
    expect(it.next().value).toBe(fut);
    expectThrows(() => it.next(), RuntimeError);
    fut.cancel();
  });

  it("the iterator of a done future returns the result at once (test_futures.BaseFutureTests.test_future_stop_iteration_args)", () => {
    const loop = makeLoop(core);
    const fut = loop.createFuture();
    fut.setResult([1, 2]);
    const r = fut[Symbol.iterator]().next();
    expect(r.done).toBe(true);
    expect(r.value).toEqual([1, 2]);
  });

  it("the iterator of a failed future throws its exception (test_futures.BaseFutureTests.test_future_iter_throw)", () => {
    const loop = makeLoop(core);
    const fut = loop.createFuture();
    const exc = new ValueError("elephant");
    fut.setException(exc);
    let thrown: unknown = null;
    try {
      fut[Symbol.iterator]().next();
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBe(exc);
  });

  it("yield* on a future inside a task suspends until set_result (test_tasks.BaseTaskTests.test_step_result_future)", async () => {
    const loop = makeLoop(core);
    const record: unknown[] = [];
    const fut = loop.createFuture();
    const t = loop.createTask(
      (function* () {
        record.push("waiting");
        const v = yield* fut;
        record.push(["got", v]);
      })(),
    );
    await runOnce(loop);
    await runOnce(loop);
    expect(record).toEqual(["waiting"]);
    const res = {};
    fut.setResult(res);
    await loop.runUntilComplete(t);
    expect(record).toEqual(["waiting", ["got", res]]);
    expect((record[1] as unknown[])[1]).toBe(res);
    expect(t.result() ?? null).toBeNull(); // a bare return: undefined or null
  });

  it("await on a future works from plain async code (thenable interop)", async () => {
    const loop = makeLoop(core);
    const fut = loop.createFuture();
    const p = (async () => await fut)();
    loop.callSoon(() => fut.setResult(5));
    await loop.runUntilComplete(fut);
    expect(await p).toBe(5);
  });

  it("await on a failed or cancelled future rejects (thenable interop)", async () => {
    const loop = makeLoop(core);
    const bad = loop.createFuture();
    const exc = new ValueError("rejected");
    bad.setException(exc);
    await expect((async () => await bad)()).rejects.toBe(exc);
    const cancelled = loop.createFuture();
    cancelled.cancel("nope");
    await expect((async () => await cancelled)()).rejects.toBeInstanceOf(CancelledError);
  });

  it("wrap(promise) delivers a host promise's value through the loop (test_futures.BaseFutureTests.test_wrap_future)", async () => {
    const out = await run(
      function* () {
        const f = wrap(new Promise<string>((resolve) => setTimeout(() => resolve("oi"), 5)));
        expect(f.getLoop()).toBe(getRunningLoop());
        const v = yield* f;
        return v;
      },
      { core, clock: "virtual" },
    );
    expect(out).toBe("oi");
  });

  it("wrap(promise) delivers a rejection as the future's exception (test_futures.BaseFutureTests.test_wrap_future)", async () => {
    const exc = new ValueError("host failure");
    const out = await run(
      function* () {
        const f = wrap(Promise.reject(exc));
        try {
          yield* f;
          return "no error";
        } catch (e) {
          return e;
        }
      },
      { core, clock: "virtual" },
    );
    expect(out).toBe(exc);
  });

  it("cancelling a wrapped future ignores the later settlement (test_futures.BaseFutureTests.test_wrap_future_cancel2)", async () => {
    const contexts: unknown[] = [];
    let resolve!: (v: string) => void;
    const p = new Promise<string>((r) => {
      resolve = r;
    });
    const out = await run(
      function* () {
        getRunningLoop().setExceptionHandler((_l: unknown, ctx: unknown) => contexts.push(ctx));
        const f = wrap(p);
        const waiter = createTask(
          (function* () {
            try {
              yield* f;
              return "resolved";
            } catch (e) {
              return e instanceof CancelledError ? "cancelled" : String(e);
            }
          })(),
        );
        yield* sleep(0);
        f.cancel();
        resolve("too late");
        const r = yield* waiter;
        yield* wrap(new Promise((res) => setTimeout(res, 5)));
        return [r, f.cancelled()];
      },
      { core, clock: "virtual" },
    );
    expect(out).toEqual(["cancelled", true]);
    expect(contexts).toEqual([]);
  });


  it("yield* on a done future continues in the same step, without a loop iteration (asyncio Future.__await__)", async () => {
    const loop = makeLoop(core);
    const record: string[] = [];
    const done = loop.createFuture();
    done.setResult("ready");
    const t = loop.createTask(
      (function* () {
        record.push("a");
        loop.callSoon(() => record.push("callback"));
        record.push(String(yield* done));
        yield* sleep(0);
        record.push("c");
      })(),
    );
    await loop.runUntilComplete(t);
    expect(record).toEqual(["a", "ready", "callback", "c"]);
  });

  it("a waiting task and user done callbacks are woken in registration order (asyncio Future._schedule_callbacks)", async () => {
    const loop = makeLoop(core);
    const record: string[] = [];
    const fut = loop.createFuture();
    fut.addDoneCallback(() => record.push("cb1"));
    const t = loop.createTask(
      (function* () {
        yield* fut;
        record.push("task resumed");
      })(),
    );
    await runOnce(loop); // the task parks on fut
    fut.addDoneCallback(() => record.push("cb2"));
    fut.setResult(null);
    await loop.runUntilComplete(t);
    expect(record).toEqual(["cb1", "task resumed", "cb2"]);
  });
});

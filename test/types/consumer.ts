// A typed consumer of the package, checked by `npm run test:types` (tsc --noEmit, strict). It is
// never run: every line is a claim about the published types. A claim that a call must NOT
// compile is marked @ts-expect-error, so it fails the check if it ever starts compiling.

import {
  FIRST_COMPLETED,
  Future,
  Queue,
  PriorityQueue,
  Task,
  TimeoutError,
  asCompleted,
  createTask,
  gather,
  run,
  runSync,
  sleep,
  taskGroup,
  timeout,
  wait,
  waitFor,
  type Coro,
} from "wasyncio";
import { initCore } from "wasyncio/manual";

/** Compiles only when A and B are the same type (not merely assignable). */
type Equal<A, B> = (<X>() => X extends A ? 1 : 2) extends <X>() => X extends B ? 1 : 2 ? true : false;
function expectType<T extends true>(): void {}

function* numCoro(): Coro<number> {
  yield* sleep(0.1);
  return 1;
}
function* strCoro(): Coro<string> {
  yield* sleep(0.2);
  return "two";
}

function* main(): Coro<void> {
  // gather: a tuple of results, in argument order
  const both = yield* gather(numCoro(), strCoro());
  expectType<Equal<typeof both, [number, string]>>();
  const settled = yield* gather(numCoro(), strCoro(), { returnExceptions: true });
  expectType<Equal<typeof settled, [number | Error, string | Error]>>();

  // asCompleted over mixed element types: each item yields the union
  for (const next of asCompleted([numCoro(), strCoro()])) {
    const value = yield* next;
    expectType<Equal<typeof value, number | string>>();
  }
  const t1 = createTask(numCoro());
  const t2 = createTask(strCoro());
  for (const next of asCompleted([t1, t2], { timeout: 5 })) {
    const value = yield* next;
    expectType<Equal<typeof value, number | string>>();
  }
  for (const next of asCompleted([numCoro(), numCoro()])) {
    const value = yield* next;
    expectType<Equal<typeof value, number>>();
  }
  // an explicit element type still works
  for (const next of asCompleted<unknown>([numCoro(), strCoro()])) {
    const value = yield* next;
    expectType<Equal<typeof value, unknown>>();
  }

  // wait: two sets of the futures given
  const [done, pending] = yield* wait([t1, t2], { returnWhen: FIRST_COMPLETED, timeout: 1 });
  expectType<Equal<typeof done, Set<Task<number> | Task<string>>>>();
  expectType<Equal<typeof pending, Set<Task<number> | Task<string>>>>();
  for (const t of pending) t.cancel();

  // waitFor keeps the awaitable's type
  const n = yield* waitFor(numCoro(), 1);
  expectType<Equal<typeof n, number>>();

  // taskGroup: the body's return value, tasks typed by their coroutines
  const fromGroup = yield* taskGroup(function* (tg) {
    const a = tg.createTask(numCoro());
    const b = tg.createTask(strCoro(), { name: "b" });
    expectType<Equal<typeof a, Task<number>>>();
    expectType<Equal<typeof b, Task<string>>>();
    return [a, b] as const;
  });
  const r0 = fromGroup[0].result();
  expectType<Equal<typeof r0, number>>();

  // timeout: the body's value
  try {
    const inTime = yield* timeout(1, function* (t) {
      t.reschedule(null);
      return yield* strCoro();
    });
    expectType<Equal<typeof inTime, string>>();
  } catch (e) {
    if (!(e instanceof TimeoutError)) throw e;
  }

  // Queue<T>: put takes T, get yields T
  const q = new Queue<number>(1);
  yield* q.put(1);
  q.putNowait(2);
  const got = yield* q.get();
  expectType<Equal<typeof got, number>>();
  const gotNow = q.getNowait();
  expectType<Equal<typeof gotNow, number>>();
  // @ts-expect-error a Queue<number> does not take strings
  yield* q.put("three");
  const pq = new PriorityQueue<[number, string]>();
  pq.putNowait([1, "a"]);
  const first = pq.getNowait();
  expectType<Equal<typeof first, [number, string]>>();

  // futures
  const fut = new Future<string>();
  fut.setResult("x");
  const fromFut = yield* fut;
  expectType<Equal<typeof fromFut, string>>();
}

// the runners give main's result
const fromRun: Promise<void> = run(main);
const fromRunSync: number = runSync(numCoro);
// @ts-expect-error runSync(numCoro) is a number, not a string
const wrong: string = runSync(numCoro);

// the manual entry takes a compiled module or bytes
declare const coreModule: WebAssembly.Module;
const ready: Promise<void> = initCore(coreModule);
const fromBytes: Promise<void> = initCore(new Uint8Array(8));

export { fromRun, fromRunSync, wrong, ready, fromBytes };

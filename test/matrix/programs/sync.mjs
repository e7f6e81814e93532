// Queues and locks: FIFO/priority/LIFO order, a bounded queue's back-pressure, join + taskDone,
// shutdown (3.13); Lock fairness (FIFO wake-up), Event, Condition, Semaphore, Barrier, withLock.
import {
  Barrier,
  Condition,
  Event,
  LifoQueue,
  Lock,
  PriorityQueue,
  Queue,
  QueueEmpty,
  QueueFull,
  QueueShutDown,
  Semaphore,
  createTask,
  gather,
  getRunningLoop,
  run,
  sleep,
  withLock,
} from "wasyncio";

const VIRTUAL = { clock: "virtual" };
const now = () => getRunningLoop().time();

export default async function main(t) {
  t.check(
    "Queue, PriorityQueue, LifoQueue order; QueueEmpty/QueueFull",
    await run(function* () {
      const out = {};
      for (const [name, Q] of [["fifo", Queue], ["priority", PriorityQueue], ["lifo", LifoQueue]]) {
        const q = new Q();
        for (const v of [3, 1, 2]) q.putNowait(v);
        const got = [];
        while (!q.empty()) got.push(yield* q.get());
        out[name] = got;
      }
      const small = new Queue(1);
      small.putNowait("x");
      try {
        small.putNowait("y");
      } catch (e) {
        out.full = [e.name, e instanceof QueueFull, small.full(), small.maxsize];
      }
      try {
        new Queue().getNowait();
      } catch (e) {
        out.empty = [e.name, e instanceof QueueEmpty];
      }
      return out;
    }, VIRTUAL),
    {
      fifo: [3, 1, 2],
      priority: [1, 2, 3],
      lifo: [2, 1, 3],
      full: ["QueueFull", true, true, 1],
      empty: ["QueueEmpty", true],
    },
  );

  t.check(
    "bounded Queue back-pressure, join, shutdown",
    await run(function* () {
      const q = new Queue(2);
      const record = [];
      const consumer = createTask(
        (function* () {
          for (;;) {
            let item;
            try {
              item = yield* q.get();
            } catch (e) {
              record.push(`consumer: ${e.name}`);
              return;
            }
            yield* sleep(1);
            record.push(`took ${item} at ${now()}`);
            q.taskDone();
          }
        })(),
      );
      for (const item of ["a", "b", "c", "d"]) {
        yield* q.put(item);
        record.push(`put ${item} at ${now()}`);
      }
      yield* q.join();
      record.push(`joined at ${now()}`);
      q.shutdown();
      yield* consumer;
      let afterShutdown;
      try {
        yield* q.put("e");
      } catch (e) {
        afterShutdown = [e.name, e instanceof QueueShutDown];
      }
      return { record, afterShutdown };
    }, VIRTUAL),
    {
      record: [
        "put a at 0",
        "put b at 0",
        "put c at 0",
        "took a at 1",
        "put d at 1",
        "took b at 2",
        "took c at 3",
        "took d at 4",
        "joined at 4",
        "consumer: QueueShutDown",
      ],
      afterShutdown: ["QueueShutDown", true],
    },
  );

  t.check(
    "Lock: waiters acquire in FIFO order; withLock",
    await run(function* () {
      const lock = new Lock();
      const record = [];
      const user = function* (name, hold) {
        yield* withLock(lock, function* () {
          record.push(`${name} in at ${now()}`);
          yield* sleep(hold);
        });
      };
      yield* gather(user("first", 1), user("second", 0.5), user("third", 0.25));
      return [record, lock.locked()];
    }, VIRTUAL),
    [["first in at 0", "second in at 1", "third in at 1.5"], false],
  );

  t.check(
    "Event, Condition, Semaphore, Barrier",
    await run(function* () {
      const record = [];
      // Event: every waiter wakes on set()
      const ev = new Event();
      const waiters = [1, 2].map((i) =>
        createTask(
          (function* () {
            yield* ev.wait();
            record.push(`event waiter ${i} at ${now()}`);
          })(),
        ),
      );
      yield* sleep(1);
      ev.set();
      yield* gather(...waiters);
      // Condition: notify(1) wakes one waiter, notifyAll the rest
      const cond = new Condition();
      let ready = 0;
      const cwaiters = ["x", "y", "z"].map((name) =>
        createTask(
          (function* () {
            yield* withLock(cond, function* () {
              yield* cond.waitFor(() => ready > 0);
              ready--;
              record.push(`condition ${name}`);
            });
          })(),
        ),
      );
      yield* sleep(0);
      yield* withLock(cond, function* () {
        ready = 1;
        cond.notify(1);
      });
      yield* sleep(0);
      yield* withLock(cond, function* () {
        ready = 2;
        cond.notifyAll();
      });
      yield* gather(...cwaiters);
      // Semaphore(2): at most two at a time
      const sem = new Semaphore(2);
      let inside = 0;
      let most = 0;
      yield* gather(
        ...[0, 1, 2, 3, 4].map(() =>
          withLock(sem, function* () {
            inside++;
            most = Math.max(most, inside);
            yield* sleep(1);
            inside--;
          }),
        ),
      );
      record.push(`semaphore: at most ${most}, done at ${now()}`);
      // Barrier(3): everyone passes when the third arrives
      const barrier = new Barrier(3);
      const indices = yield* gather(
        ...[0.1, 0.2, 0.3].map((d) =>
          (function* () {
            yield* sleep(d);
            const i = yield* barrier.wait();
            return [i, now()];
          })(),
        ),
      );
      record.push(`barrier: ${JSON.stringify(indices)} parties=${barrier.parties} broken=${barrier.broken}`);
      return record;
    }, VIRTUAL),
    [
      "event waiter 1 at 1",
      "event waiter 2 at 1",
      "condition x",
      "condition y",
      "condition z",
      "semaphore: at most 2, done at 4",
      "barrier: [[0,4.3],[1,4.3],[2,4.3]] parties=3 broken=false",
    ],
  );
}

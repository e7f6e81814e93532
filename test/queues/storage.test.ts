// The queues' storage: O(1) amortized put/get (a ring buffer, never Array#shift on a big
// array), wrap-around, growth and shrinking, and no references kept to items given out.

import { describe, expect, it } from "vitest";
import { createTask, gather, runSync, type Coro } from "../../src/index.ts";
import { LifoQueue, PriorityQueue, Queue } from "../../src/index.ts";
import { CORES } from "../helpers.ts";

type Ring = { _buf: unknown[]; _head: number; size: number };
const ring = (q: Queue<unknown>) => q._store as unknown as Ring;

describe.each(CORES)("%s core", (core) => {
  const rs = <T>(main: () => Coro<T>) => runSync(main, { core });

  it("interleaved puts and gets keep FIFO order across wrap-around, growth and shrinking", () => {
    const q = new Queue<number>();
    const model: number[] = []; // everything put, in order
    const got: number[] = [];
    const sizes: boolean[] = [];
    let next = 0;
    let seed = 7;
    const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    for (let step = 0; step < 50_000; step++) {
      // phases: mostly puts, then mostly gets, so the buffer grows and shrinks repeatedly
      const putBias = Math.floor(step / 5000) % 2 === 0 ? 0.7 : 0.3;
      if (rand() < putBias || q.empty()) {
        q.putNowait(next);
        model.push(next++);
      } else {
        got.push(q.getNowait());
      }
      if (step % 1000 === 0) sizes.push(q.qsize() === model.length - got.length);
    }
    while (!q.empty()) got.push(q.getNowait());
    expect(got).toEqual(model);
    expect(sizes.every(Boolean)).toBe(true);
    // shrunk back down, and holding no item
    expect(ring(q)._buf.length).toBeLessThanOrEqual(16);
    expect(ring(q)._buf.every((x) => x === undefined)).toBe(true);
  });

  it("200,000 items through a Queue in linear time (no Array#shift)", () => {
    const q = new Queue<number>();
    const n = 200_000;
    const t0 = performance.now();
    for (let i = 0; i < n; i++) q.putNowait(i);
    let sum = 0;
    for (let i = 0; i < n; i++) sum += q.getNowait();
    const ms = performance.now() - t0;
    expect(sum).toBe(((n - 1) * n) / 2);
    expect(ms).toBeLessThan(1000); // ~10 ms here; quadratic would take far longer
    expect(ring(q)._buf.length).toBeLessThanOrEqual(16);
  });

  it("items given out are not retained by the queue (FIFO, LIFO, priority)", () => {
    for (const q of [new Queue<object>(), new LifoQueue<object>(), new PriorityQueue<[number, object]>()]) {
      const payloads = Array.from({ length: 100 }, (_, i) => ({ i }));
      for (const [i, p] of payloads.entries()) q.putNowait((q instanceof PriorityQueue ? [i, p] : p) as never);
      for (let i = 0; i < 100; i++) q.getNowait();
      const store = q._store as unknown as Record<string, unknown>;
      const held = Object.values(store).filter(Array.isArray).flat(2);
      for (const p of payloads) expect(held.includes(p)).toBe(false);
    }
  });

  it("producers and consumers through a bounded queue in a running loop: every item once, in order", () => {
    const got: number[] = [];
    rs(function* () {
      const q = new Queue<number>(3);
      function* producer(base: number) {
        for (let i = 0; i < 500; i++) yield* q.put(base + i);
      }
      function* consumer() {
        for (let i = 0; i < 500; i++) {
          got.push(yield* q.get());
          q.taskDone();
        }
      }
      const consumers = [createTask(consumer()), createTask(consumer())];
      yield* gather(producer(0), producer(10_000));
      yield* q.join();
      yield* gather(...consumers);
    });
    expect(got.length).toBe(1000);
    // each producer's items arrive in its own order
    expect(got.filter((x) => x < 10_000)).toEqual(Array.from({ length: 500 }, (_, i) => i));
    expect(got.filter((x) => x >= 10_000)).toEqual(Array.from({ length: 500 }, (_, i) => 10_000 + i));
  });
});

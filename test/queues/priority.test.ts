// PriorityQueue ordering. Python's PriorityQueue is a heapq of items compared with `<`,
// usually (priority, data) tuples; wasyncio orders numbers, strings and arrays-as-tuples the
// same way by default (`pythonOrder`), keeps equal items FIFO, refuses items it cannot order,
// and takes `{ compare }` for anything else. Expected orders below were printed by CPython 3.13.

import { describe, expect, it } from "vitest";
import { ValueError, createTask, getRunningLoop, runSync, sleep, type Coro } from "../../src/index.ts";
import { PriorityQueue, Queue, pythonOrder } from "../../src/index.ts";
import { CORES, expectThrows } from "../helpers.ts";

const drain = <T>(q: Queue<T>): T[] => {
  const out: T[] = [];
  while (!q.empty()) out.push(q.getNowait());
  return out;
};

/** A small deterministic generator (the tests must not depend on Math.random). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe.each(CORES)("%s core", (core) => {
  const rs = <T>(main: () => Coro<T>) => runSync(main, { core });

  it("arrays order like Python tuples: element by element, a prefix first (heapq with tuples)", () => {
    const q = new PriorityQueue<unknown[]>();
    for (const x of [[2, "b"], [1, "z"], [1, "a"], [1], [0, "q", 5], [1, "a", 0]]) q.putNowait(x);
    // CPython 3.13: [(0, 'q', 5), (1,), (1, 'a'), (1, 'a', 0), (1, 'z'), (2, 'b')]
    expect(drain(q)).toEqual([[0, "q", 5], [1], [1, "a"], [1, "a", 0], [1, "z"], [2, "b"]]);
  });

  it("strings order by code unit, like Python's str < str", () => {
    const q = new PriorityQueue<string>();
    for (const x of ["pear", "apple", "fig", "Apple"]) q.putNowait(x);
    expect(drain(q)).toEqual(["Apple", "apple", "fig", "pear"]);
  });

  it("numbers, bigints and booleans order together (Python's int/float/bool)", () => {
    const q = new PriorityQueue<number | bigint | boolean>();
    for (const x of [3n, 2.5, true, -1, 0n, 10]) q.putNowait(x);
    expect(drain(q)).toEqual([-1, 0n, true, 2.5, 3n, 10]);
  });

  it("equal priorities come out in insertion order, even with object payloads (Python would compare the payloads)", () => {
    const q = new PriorityQueue<[number, { id: string }]>();
    const items: [number, { id: string }][] = [
      [1, { id: "a" }],
      [0, { id: "b" }],
      [1, { id: "c" }],
      [1, { id: "d" }],
      [0, { id: "e" }],
    ];
    for (const x of items) q.putNowait(x);
    expect(drain(q).map(([, p]) => p.id)).toEqual(["b", "e", "a", "c", "d"]);
  });

  it("5,000 seeded random keys come out sorted, ties FIFO (heap property under load)", () => {
    const rand = lcg(42);
    const q = new PriorityQueue<[number, number]>();
    const input: [number, number][] = [];
    for (let i = 0; i < 5000; i++) input.push([Math.floor(rand() * 50), i]);
    // interleave puts and gets to exercise both sift directions
    const out: [number, number][] = [];
    for (let i = 0; i < input.length; i++) {
      q.putNowait(input[i]);
      if (i % 3 === 2) out.push(q.getNowait());
    }
    const tail = drain(q);
    // the final drain is sorted by (key, insertion); nothing was lost or duplicated
    const byKeyThenInsertion = (a: [number, number], b: [number, number]) => a[0] - b[0] || a[1] - b[1];
    expect(tail).toEqual([...tail].sort(byKeyThenInsertion));
    out.push(...tail);
    const expected = [...input].sort(byKeyThenInsertion);
    expect([...out].sort(byKeyThenInsertion)).toEqual(expected);
    // and a plain fill-then-drain is exactly sorted, ties in insertion order
    const q2 = new PriorityQueue<[number, number]>();
    for (const x of input) q2.putNowait(x);
    expect(drain(q2)).toEqual(expected);
  });

  it("an item that cannot be ordered is refused at the call (TypeError), NaN with ValueError", () => {
    rs(function* () {
      const q = new PriorityQueue<unknown>();
      expectThrows(() => q.putNowait({ priority: 1 }), TypeError, /cannot be ordered.*\{ compare \}/);
      expectThrows(() => q.put(null), TypeError, /PriorityQueue\.put\(item\): null cannot be ordered/);
      expectThrows(() => q.putNowait(undefined), TypeError, /cannot be ordered/);
      expectThrows(() => q.putNowait(new Date(0)), TypeError, /cannot be ordered/);
      expectThrows(() => q.putNowait(NaN), ValueError, /NaN cannot be ordered/);
      expect(q.qsize()).toBe(0);
      expect(q._unfinishedTasks).toBe(0);
      // the queue and the loop are intact
      yield* q.put(1);
      expect(yield* q.get()).toBe(1);
      yield* sleep(1);
      expect(getRunningLoop().time()).toBe(1);
    });
  });

  it("a key of another kind than the queued ones is a TypeError, as Python's '<' between str and int", () => {
    const q = new PriorityQueue<unknown>();
    q.putNowait(1);
    expectThrows(() => q.putNowait("a"), TypeError, /cannot order a string \("a"\) against the queued items, which are numbers/);
    expectThrows(() => q.putNowait([1]), TypeError, /an array/);
    q.putNowait(2n);
    expect(drain(q)).toEqual([1, 2n]);
    q.putNowait("a"); // empty again: any kind may start
    q.putNowait("b");
    expect(drain(q)).toEqual(["a", "b"]);
  });

  it("{ compare } orders any items, e.g. a max-heap of objects", () => {
    const q = new PriorityQueue<{ name: string; score: number }>(0, { compare: (a, b) => b.score - a.score });
    for (const [name, score] of [["a", 1], ["b", 5], ["c", 3], ["d", 5]] as const) q.putNowait({ name, score });
    expect(drain(q).map((x) => x.name)).toEqual(["b", "d", "c", "a"]);
    const plain = new PriorityQueue<{ at: Date }>(0, { compare: (a, b) => a.at.getTime() - b.at.getTime() });
    plain.putNowait({ at: new Date(5) });
    plain.putNowait({ at: new Date(1) });
    expect(drain(plain).map((x) => x.at.getTime())).toEqual([1, 5]);
  });

  it("a compare that throws fails the put or get and leaves the queue unchanged", () => {
    let explode = false;
    const q = new PriorityQueue<number>(0, {
      compare: (a, b) => {
        if (explode) throw new Error("compare exploded");
        return a - b;
      },
    });
    for (const x of [5, 3, 8, 1, 9, 2, 7]) q.putNowait(x);
    explode = true;
    expect(() => q.putNowait(0)).toThrow("compare exploded");
    expect(q.qsize()).toBe(7);
    expect(q._unfinishedTasks).toBe(7);
    expect(() => q.getNowait()).toThrow("compare exploded");
    expect(q.qsize()).toBe(7);
    explode = false;
    expect(drain(q)).toEqual([1, 2, 3, 5, 7, 8, 9]);
    // and shutdown(true) drops the items without comparing them
    for (const x of [4, 6]) q.putNowait(x);
    explode = true;
    q.shutdown(true);
    expect(q.qsize()).toBe(0);
    expect(q._unfinishedTasks).toBe(7); // the 7 drained above were never marked done
  });

  it("options are checked at construction", () => {
    expectThrows(() => new PriorityQueue(0, { compare: 5 as never }), TypeError, /compare must be a function/);
    expectThrows(() => new PriorityQueue(0, 5 as never), TypeError, /options must be an object/);
    expect(new PriorityQueue(0, null).maxsize).toBe(0);
    expect(new PriorityQueue(0, { compare: null }).maxsize).toBe(0);
  });

  it("pythonOrder compares like Python's < and never throws", () => {
    expect(pythonOrder(1, 2)).toBeLessThan(0);
    expect(pythonOrder("b", "a")).toBeGreaterThan(0);
    expect(pythonOrder([1, 2], [1, 2])).toBe(0);
    expect(pythonOrder([1], [1, 0])).toBeLessThan(0);
    expect(pythonOrder([1, [2, "x"]], [1, [2, "y"]])).toBeLessThan(0);
    expect(pythonOrder([1, "b"], [1, "a"])).toBeGreaterThan(0);
    expect(pythonOrder([1, { a: 1 }], [1, { a: 2 }])).toBe(0); // unorderable payloads tie
    expect(pythonOrder(1, "a")).toBeLessThan(0); // kinds: numbers < strings < arrays
    expect(pythonOrder("a", [0])).toBeLessThan(0);
    expect(pythonOrder(1n, 1)).toBe(0);
    expect(pythonOrder(NaN, 1)).toBeGreaterThan(0); // NaN sorts as unorderable, after numbers
  });

  it("a bounded PriorityQueue blocks putters and hands out the lowest first", () => {
    const record: string[] = [];
    rs(function* () {
      const q = new PriorityQueue<number>(2);
      q.putNowait(5);
      q.putNowait(3);
      const p = createTask(q.put(1));
      yield* sleep(0);
      expect(p.done()).toBe(false);
      record.push(`got ${yield* q.get()}`); // 3: the putter of 1 was still blocked
      yield* p;
      record.push(`got ${yield* q.get()}`);
      record.push(`got ${yield* q.get()}`);
    });
    expect(record).toEqual(["got 3", "got 1", "got 5"]);
  });
});

// asyncio.queues (CPython 3.13): Queue, PriorityQueue, LifoQueue, with shutdown(), over the
// one fair WaitQueue (src/sync/wait-queue.ts): blocked getters and putters are served FIFO, and a
// getter or putter cancelled just after it was woken passes its turn on.
//
// Storage is O(1) amortized per operation: a power-of-two ring buffer for the FIFO queue (no
// Array#shift), an array stack for the LIFO queue, a binary heap for the priority queue.

import { ValueError, describe, QueueEmpty, QueueFull, QueueShutDown } from "../errors.js";
import { trackCoroutine } from "../loop/debug.js";
import { Event } from "./locks.js";
import type { Coro } from "../tasks/tasks.js";
import { LoopBound, WaitQueue } from "./wait-queue.js";




export { QueueEmpty, QueueFull, QueueShutDown };

/** @internal Where a queue keeps its items; each kind of queue brings its own. */
interface ItemStore<T> {
  readonly size: number;
  put(item: T): void;
  get(): T;
  /** The items in the order `get` would return them, at most `limit` (for `toString`). */
  peek(limit: number): T[];
  /** Drop every item (no comparisons: a throwing `compare` cannot stop a shutdown). */
  clear(): void;
}

const MIN_RING = 8;

/**
 * FIFO storage: a ring buffer with a power-of-two capacity. Grows ×2 when full, shrinks ×½
 * when a quarter full (above MIN_RING), so both ends are O(1) amortized and a burst does not
 * pin its memory forever.
 */
class RingStore<T> implements ItemStore<T> {
  private _buf: (T | undefined)[] = [];
  private _head = 0;
  size = 0;

  put(item: T): void {
    if (this.size === this._buf.length) this._resize(Math.max(MIN_RING, this._buf.length * 2));
    this._buf[(this._head + this.size) & (this._buf.length - 1)] = item;
    this.size++;
  }

  get(): T {
    const buf = this._buf;
    const item = buf[this._head] as T;
    buf[this._head] = undefined; // drop the reference: the queue does not keep what it gave out
    this._head = (this._head + 1) & (buf.length - 1);
    this.size--;
    if (buf.length > MIN_RING && this.size <= buf.length >> 2) this._resize(buf.length >> 1);
    return item;
  }

  peek(limit: number): T[] {
    const out: T[] = [];
    const mask = this._buf.length - 1;
    for (let i = 0; i < this.size && i < limit; i++) out.push(this._buf[(this._head + i) & mask] as T);
    return out;
  }

  clear(): void {
    this._buf = [];
    this._head = 0;
    this.size = 0;
  }

  private _resize(capacity: number): void {
    const next = new Array<T | undefined>(capacity).fill(undefined);
    const old = this._buf;
    const mask = old.length - 1;
    for (let i = 0; i < this.size; i++) next[i] = old[(this._head + i) & mask];
    this._buf = next;
    this._head = 0;
  }
}

/** LIFO storage: an array used as a stack. */
class StackStore<T> implements ItemStore<T> {
  private _items: T[] = [];

  get size(): number {
    return this._items.length;
  }

  put(item: T): void {
    this._items.push(item);
  }

  get(): T {
    return this._items.pop() as T;
  }

  clear(): void {
    this._items = [];
  }

  peek(limit: number): T[] {
    const out: T[] = [];
    for (let i = this._items.length - 1; i >= 0 && out.length < limit; i--) out.push(this._items[i]);
    return out;
  }
}

/**
 * How a `PriorityQueue` orders two items: negative if `a` comes out first, positive if `b`.
 *
 * @example
 * const byDeadline: Compare<Job> = (a, b) => a.deadline - b.deadline;
 */
export type Compare<T> = (a: T, b: T) => number;

// Kinds of keys for the default order: numbers (and bigints, booleans — Python's bools are
// ints), strings, arrays (Python's tuples); anything else cannot be ordered.
const enum Rank {
  Number,
  String,
  Array,
  Unordered,
}

function rank(v: unknown): Rank {
  switch (typeof v) {
    case "number":
      return v === v ? Rank.Number : Rank.Unordered;
    case "bigint":
    case "boolean":
      return Rank.Number;
    case "string":
      return Rank.String;
    case "object":
      return Array.isArray(v) ? Rank.Array : Rank.Unordered;
    default:
      return Rank.Unordered;
  }
}

/**
 * The default order of a `PriorityQueue`: Python's `<` for the keys Python users put in one —
 * numbers (with bigints and booleans), strings (by UTF-16 code units), and arrays compared
 * element by element like tuples (a prefix comes first). Values Python could not order
 * against each other never throw here: inside arrays, different kinds order numbers, then
 * strings, then arrays, and two values that cannot be ordered (objects, `null`, NaN…) are
 * equal — so `[priority, payload]` with object payloads works, ties keeping insertion order.
 *
 * @example
 * pythonOrder([1, "b"], [1, "a"]); // > 0: "a" comes out first, as in Python
 * pythonOrder(2, 10);               // < 0
 */
export function pythonOrder(a: unknown, b: unknown): number {
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra - rb;
  switch (ra) {
    case Rank.Number:
    case Rank.String:
      return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
    case Rank.Array: {
      const x = a as unknown[];
      const y = b as unknown[];
      const n = Math.min(x.length, y.length);
      for (let i = 0; i < n; i++) {
        const c = pythonOrder(x[i], y[i]);
        if (c !== 0) return c;
      }
      return x.length - y.length;
    }
    default:
      return 0;
  }
}

/**
 * Priority storage: a binary min-heap, items and their insertion numbers in parallel arrays
 * (no wrapper object per item). Equal items come out in insertion order (FIFO), which
 * Python's heapq does not promise. Each operation first finds where the moving item lands
 * (only comparing), then moves items — so a comparison that throws leaves the heap intact.
 */
class HeapStore<T> implements ItemStore<T> {
  private readonly _items: T[] = [];
  private readonly _seqs: number[] = [];
  private readonly _path: number[] = [];
  private _nextSeq = 0;

  constructor(private readonly _compare: Compare<T>) {}

  get size(): number {
    return this._items.length;
  }

  /** Whether (item, seq) comes out before the item at index i. */
  private _before(item: T, seq: number, i: number): boolean {
    const c = this._compare(item, this._items[i]);
    if (c < 0) return true;
    if (c > 0) return false;
    return seq < this._seqs[i]; // equal (or NaN): first in, first out
  }

  put(item: T): void {
    const items = this._items;
    const seqs = this._seqs;
    const seq = this._nextSeq;
    // sift up, comparing only
    let pos = items.length;
    while (pos > 0) {
      const parent = (pos - 1) >> 1;
      if (!this._before(item, seq, parent)) break;
      pos = parent;
    }
    // then move the ancestors down along the path
    let i = items.length;
    items.push(item);
    seqs.push(seq);
    while (i > pos) {
      const parent = (i - 1) >> 1;
      items[i] = items[parent];
      seqs[i] = seqs[parent];
      i = parent;
    }
    items[pos] = item;
    seqs[pos] = seq;
    this._nextSeq = seq + 1;
  }

  get(): T {
    const items = this._items;
    const seqs = this._seqs;
    const top = items[0];
    const m = items.length - 1; // heap size once the last item moves to the root
    if (m === 0) {
      items.pop();
      seqs.pop();
      return top;
    }
    const last = items[m];
    const lastSeq = seqs[m];
    // sift the last item down from the root, comparing only, remembering the path
    const path = this._path;
    path.length = 0;
    let pos = 0;
    for (;;) {
      const l = 2 * pos + 1;
      if (l >= m) break;
      const r = l + 1;
      const child = r < m && this._before(items[r], seqs[r], l) ? r : l;
      if (this._before(last, lastSeq, child)) break;
      path.push(child);
      pos = child;
    }
    // then move the children up along the path
    let hole = 0;
    for (let k = 0; k < path.length; k++) {
      const child = path[k];
      items[hole] = items[child];
      seqs[hole] = seqs[child];
      hole = child;
    }
    items[hole] = last;
    seqs[hole] = lastSeq;
    items.pop();
    seqs.pop();
    return top;
  }

  peek(limit: number): T[] {
    // heap order, not get order: enough for a debugging string
    return this._items.slice(0, limit);
  }

  clear(): void {
    this._items.length = 0;
    this._seqs.length = 0;
  }
}

const SHOWN_ITEMS = 10;

function checkMaxsize(fn: string, maxsize: unknown): number {
  if (typeof maxsize !== "number") {
    const hint =
      maxsize !== null && typeof maxsize === "object" && fn === "PriorityQueue"
        ? ` (the options object goes second: new PriorityQueue(0, { compare }))`
        : maxsize !== null && typeof maxsize === "object"
          ? " (the first argument is the maximum size)"
          : "";
    throw new TypeError(`${fn}(maxsize): maxsize must be a number (0 or less: unbounded), got ${describe(maxsize)}${hint}`);
  }
  if (maxsize !== maxsize) throw new ValueError(`${fn}(maxsize): maxsize must be a number (0 or less: unbounded), got NaN`);
  return maxsize;
}

/**
 * asyncio.Queue: a FIFO queue for producer and consumer tasks. With `maxsize > 0`, `put()`
 * waits while the queue holds `maxsize` items (back-pressure); `maxsize <= 0` is unbounded.
 * `taskDone()`/`join()` track processing; `shutdown()` (3.13) ends it.
 *
 * @example
 * const q = new Queue<string>(10);
 * createTask((function* () { for (;;) { const job = yield* q.get(); yield* handle(job); q.taskDone(); } })());
 * yield* q.put("job-1");
 * yield* q.join(); // every job handled
 */
export class Queue<T = unknown> extends LoopBound {
  private readonly _maxsize: number;
  /** @internal */ _store: ItemStore<T> = new RingStore<T>();
  /** @internal */ readonly _getters: WaitQueue;
  /** @internal */ readonly _putters: WaitQueue;
  /** @internal */ _unfinishedTasks = 0;
  private readonly _finished = new Event();
  private _isShutdown = false;

  constructor(maxsize = 0) {
    super();
    this._maxsize = checkMaxsize(new.target.name, maxsize);
    // A getter (putter) cancelled right after put (get) woke it must not swallow the
    // wake-up while an item (a slot) is there for the next one.
    this._getters = new WaitQueue(this, (woken) => {
      if (woken && !this.empty()) this._getters.wake(1);
    });
    this._putters = new WaitQueue(this, (woken) => {
      if (woken && !this.full()) this._putters.wake(1);
    });
    this._finished.set();
  }

  /** The number of items allowed in the queue; 0 or less means unbounded (read-only). */
  get maxsize(): number {
    return this._maxsize;
  }

  /** The number of items in the queue. */
  qsize(): number {
    return this._store.size;
  }

  /** Whether the queue holds no item. */
  empty(): boolean {
    return this._store.size === 0;
  }

  /** Whether the queue holds `maxsize` items (never, when `maxsize <= 0`). */
  full(): boolean {
    return this._maxsize > 0 && this._store.size >= this._maxsize;
  }

  /**
   * Put an item, waiting (FIFO among putters) while the queue is full; the coroutine returns
   * `null`. Throws `QueueShutDown` if the queue is, or gets, shut down.
   *
   * @example
   * yield* q.put(job);
   */
  put(item: T): Coro<null> {
    return trackCoroutine(this._putItem(item), "Queue.put");
  }

  private *_putItem(item: T): Coro<null> {
    while (this.full()) {
      if (this._isShutdown) throw new QueueShutDown("put(): the queue is shut down");
      yield* this._putters.park(this._getLoop());
    }
    this.putNowait(item);
    return null;
  }

  /**
   * Put an item without waiting: `QueueFull` if the queue is full, `QueueShutDown` if it is
   * shut down.
   *
   * @example
   * q.putNowait(job);
   */
  putNowait(item: T): void {
    if (this._isShutdown) throw new QueueShutDown("putNowait(): the queue is shut down");
    if (this.full()) throw new QueueFull(`putNowait(): the queue is full (maxsize=${this._maxsize})`);
    this._store.put(item);
    this._unfinishedTasks++;
    this._finished.clear();
    this._getters.wake(1);
  }

  /**
   * Remove and return an item, waiting (FIFO among getters) while the queue is empty. Throws
   * `QueueShutDown` once the queue is shut down and empty.
   *
   * @example
   * const job = yield* q.get();
   */
  get(): Coro<T> {
    return trackCoroutine(this._getItem(), "Queue.get");
  }

  private *_getItem(): Coro<T> {
    while (this.empty()) {
      if (this._isShutdown) throw new QueueShutDown("get(): the queue is shut down and empty");
      yield* this._getters.park(this._getLoop());
    }
    return this.getNowait();
  }

  /**
   * Remove and return an item without waiting: `QueueEmpty` if there is none,
   * `QueueShutDown` if the queue is also shut down.
   *
   * @example
   * const job = q.getNowait();
   */
  getNowait(): T {
    if (this.empty()) {
      if (this._isShutdown) throw new QueueShutDown("getNowait(): the queue is shut down and empty");
      throw new QueueEmpty("getNowait(): the queue is empty");
    }
    const item = this._store.get();
    this._putters.wake(1);
    return item;
  }

  /**
   * Mark one item taken with `get()` as processed; `join()` returns once every item put was
   * marked. Calling it more often than items were put is a `ValueError`.
   *
   * @example
   * const job = yield* q.get(); try { yield* handle(job); } finally { q.taskDone(); }
   */
  taskDone(): void {
    if (this._unfinishedTasks <= 0) throw new ValueError("taskDone() called too many times");
    this._unfinishedTasks--;
    if (this._unfinishedTasks === 0) this._finished.set();
  }

  /**
   * Wait until every item put has been marked with `taskDone()`; the coroutine returns `null`.
   *
   * @example
   * yield* q.join();
   */
  join(): Coro<null> {
    return trackCoroutine(this._join(), "Queue.join");
  }

  private *_join(): Coro<null> {
    if (this._unfinishedTasks > 0) yield* this._finished.wait();
    return null;
  }

  /**
   * Shut the queue down (3.13): `put`s throw `QueueShutDown` from now on, and `get`s once the
   * queue is empty. With `immediate`, the items left are dropped (each counted as done for
   * `join()`) so `get`s throw at once. Blocked getters and putters are woken to see it.
   *
   * @example
   * q.shutdown();     // consumers drain what is left, then get QueueShutDown
   * q.shutdown(true); // consumers stop now
   */
  shutdown(immediate: boolean | null = false): void {
    if (immediate != null && typeof immediate !== "boolean") {
      throw new TypeError(`Queue.shutdown(immediate): immediate must be a boolean, got ${describe(immediate)}`);
    }
    this._isShutdown = true;
    if (immediate) {
      // each dropped item counts as done (asyncio calls task_done() for each, floored at 0)
      this._unfinishedTasks = Math.max(0, this._unfinishedTasks - this._store.size);
      this._store.clear();
      if (this._unfinishedTasks === 0) this._finished.set();
    }
    // every blocked getter and putter re-checks and finds the shutdown
    this._getters.wakeAll();
    this._putters.wakeAll();
  }

  override toString(): string {
    let s = `<${this.constructor.name} maxsize=${this._maxsize}`;
    const size = this._store.size;
    if (size > 0) {
      const shown = this._store.peek(SHOWN_ITEMS).map(describe);
      if (size > SHOWN_ITEMS) shown.push(`… ${size - SHOWN_ITEMS} more`);
      s += ` _queue=[${shown.join(", ")}]`;
    }
    if (this._getters.length > 0) s += ` _getters[${this._getters.length}]`;
    if (this._putters.length > 0) s += ` _putters[${this._putters.length}]`;
    if (this._unfinishedTasks > 0) s += ` tasks=${this._unfinishedTasks}`;
    if (this._isShutdown) s += " shutdown";
    return s + ">";
  }
}

/**
 * A Queue that returns the most recently put item first.
 *
 * @example
 * const stack = new LifoQueue<number>();
 * stack.putNowait(1); stack.putNowait(2);
 * stack.getNowait(); // 2
 */
export class LifoQueue<T = unknown> extends Queue<T> {
  constructor(maxsize = 0) {
    super(maxsize);
    this._store = new StackStore<T>();
  }
}

/**
 * Options of `PriorityQueue`.
 *
 * @example
 * const options: PriorityQueueOptions<Job> = { compare: (a, b) => a.deadline - b.deadline };
 * const q = new PriorityQueue<Job>(100, options);
 */
export interface PriorityQueueOptions<T> {
  /**
   * Order items: negative when `a` comes out before `b`. Default: `pythonOrder` (numbers,
   * strings, and arrays as tuples, like Python's `<`). Equal items come out in insertion order.
   */
  compare?: Compare<T> | null;
}

/**
 * A Queue that returns the lowest item first, like asyncio's PriorityQueue (a heap).
 *
 * Ordering. Python compares the items with `<`, typically `(priority, data)` tuples. Here the
 * default is `pythonOrder`: numbers, bigints, strings, and arrays compared element by element
 * like tuples — so `q.put([priority, data])` works as in Python. Items of a kind that cannot
 * be ordered (plain objects, `null`, functions…) are refused at `put` with `TypeError`, as are
 * items of a different kind from those already queued (a string among numbers), and NaN with
 * `ValueError`. Unlike Python, equal items (or equal priorities with unorderable payloads)
 * never throw and come out in insertion order (FIFO). Or pass `{ compare }` to order any
 * items; if `compare` throws, the `put`/`get` throws and the queue is left unchanged.
 *
 * @example
 * const q = new PriorityQueue<[number, string]>();
 * q.putNowait([2, "write docs"]);
 * q.putNowait([1, "fix bug"]);
 * q.getNowait(); // [1, "fix bug"]
 *
 * const byDeadline = new PriorityQueue<Job>(0, { compare: (a, b) => a.deadline - b.deadline });
 */
export class PriorityQueue<T = unknown> extends Queue<T> {
  private readonly _checkKeys: boolean;
  private _keyRank = Rank.Unordered; // the kind of the queued items, while there are any

  constructor(maxsize = 0, options: PriorityQueueOptions<T> | null = {}) {
    super(maxsize);
    if (options !== null && (typeof options !== "object" || Array.isArray(options))) {
      throw new TypeError(`PriorityQueue(maxsize, options): options must be an object, got ${describe(options)}`);
    }
    const compare = options?.compare ?? null;
    if (compare !== null && typeof compare !== "function") {
      throw new TypeError(`PriorityQueue(maxsize, { compare }): compare must be a function, got ${describe(compare)}`);
    }
    this._checkKeys = compare === null;
    this._store = new HeapStore<T>(compare ?? (pythonOrder as Compare<T>));
  }

  /**
   * Put an item in priority order (see the class for how items are ordered); waits while the
   * queue is full. A key that cannot be ordered is refused now, at the call.
   *
   * @example
   * yield* q.put([priority, job]);
   */
  override put(item: T): Coro<null> {
    this._checkKey(item, "put");
    return super.put(item);
  }

  /**
   * Put an item in priority order without waiting (`QueueFull`, `QueueShutDown` as Queue's).
   *
   * @example
   * q.putNowait([0, "urgent"]);
   */
  override putNowait(item: T): void {
    const r = this._checkKey(item, "putNowait");
    super.putNowait(item);
    this._keyRank = r;
  }

  private _checkKey(item: T, fn: string): Rank {
    if (!this._checkKeys) return Rank.Unordered;
    const r = rank(item);
    if (r === Rank.Unordered) {
      if (typeof item === "number") throw new ValueError(`PriorityQueue.${fn}(item): NaN cannot be ordered`);
      throw new TypeError(
        `PriorityQueue.${fn}(item): ${describe(item)} cannot be ordered; put a number, a string or a [priority, data] array, or pass { compare }`,
      );
    }
    if (!this.empty()) {
      const queued = this._keyRank;
      if (queued !== r) {
        const kinds = ["a number", "a string", "an array"];
        throw new TypeError(
          `PriorityQueue.${fn}(item): cannot order ${kinds[r]} (${describe(item)}) against the queued items, which are ${kinds[queued].replace(/^an? /, "")}s`,
        );
      }
    }
    return r;
  }
}

// Timer heap: (when, seq) order, due when <= now, immediate cancellation, ±Infinity,
// a random insert/cancel/tick sequence against a sorted-array model, and growth past 1M timers.
import { statePtr, soon, at, cancel, isPending, tick, reset } from "../index";
import { SPAN, batch, batchAt, batchLen, liveCount, nextDeadline, readyLen, slotOf, slotsOf, st, timerLen } from "./state";



/** The test's own generator (xorshift32), independent of the core's. */
let rngState: u32 = 1;
function rnd(): u32 {
  let x = rngState;
  x ^= x << 13;
  x ^= x >>> 17;
  x ^= x << 5;
  rngState = x;
  return x;
}
function rand(n: u32): u32 { return rnd() % n; }
function randFloat(): f64 { return <f64>rnd() / 4294967296.0; }

class Timer {
  constructor(public when: f64, public seq: i32, public id: f64) {}
}

/** Index of the first model entry that sorts after (when, seq): the model stays sorted. */
function upperBound(model: Timer[], when: f64, seq: i32): i32 {
  let lo = 0;
  let hi = model.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const m = model[mid];
    if (m.when < when || (m.when == when && m.seq < seq)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function insertAt(model: Timer[], index: i32, timer: Timer): void {
  model.push(timer);
  for (let i = model.length - 1; i > index; i--) model[i] = model[i - 1];
  model[index] = timer;
}

function pickWhen(): f64 {
  const r = rand(100);
  if (r < 45) return <f64>rand(20); // many ties
  if (r < 90) return randFloat() * 100.0;
  if (r < 95) return Infinity;
  return -Infinity;
}

/**
 * Run `ops` random operations against the core and a sorted-array model; returns a description
 * of the first divergence, or "" when none. Checked after every op: timerLen, nextDeadline,
 * liveCount, cancel results, and every batch entry.
 */
function modelRun(seedValue: u32, ops: i32): string {
  reset();
  rngState = seedValue;
  const model = new Array<Timer>();
  const dead = new Array<f64>(); // ids known to be stale
  let lastBatch = new Array<f64>();
  let seq = 0;
  let inserts = 0;
  let cancels = 0;
  let fired = 0;
  for (let op = 0; op < ops; op++) {
    const r = rand(100);
    const where = "seed " + seedValue.toString() + " op " + op.toString() + ": ";
    if (r < 50) {
      const when = pickWhen();
      const id = at(when);
      insertAt(model, upperBound(model, when, seq), new Timer(when, seq, id));
      seq++;
      inserts++;
    } else if (r < 68) {
      if (model.length == 0) continue;
      const k = <i32>rand(<u32>model.length);
      const id = model[k].id;
      if (cancel(id) != 1) return where + "cancel of a pending timer did not return 1";
      model.splice(k, 1);
      dead.push(id);
      cancels++;
    } else if (r < 78) {
      if (dead.length == 0) continue;
      const id = dead[<i32>rand(<u32>dead.length)];
      if (cancel(id) != 0) return where + "cancel of a stale id returned 1";
      if (isPending(id) != 0) return where + "isPending of a stale id returned 1";
    } else {
      const now = rand(10) == 0 ? (rand(2) ? Infinity : -Infinity) : pickWhen();
      let due = 0;
      while (due < model.length && model[due].when <= now) due++;
      const n = tick(now);
      if (n != due) return where + "tick(" + now.toString() + ") returned " + n.toString() + ", model " + due.toString();
      for (let i = 0; i < due; i++) {
        if (batchAt(i) != slotOf(model[i].id)) return where + "batch[" + i.toString() + "] out of (when, seq) order";
      }
      // the previous batch was released by this tick
      for (let i = 0; i < lastBatch.length; i++) dead.push(lastBatch[i]);
      lastBatch = new Array<f64>(due);
      for (let i = 0; i < due; i++) lastBatch[i] = model[i].id;
      model.splice(0, due);
      fired += due;
    }
    if (timerLen() != <u32>model.length) return where + "timerLen " + timerLen().toString() + ", model " + model.length.toString();
    const expectedDeadline = model.length > 0 ? model[0].when : Infinity;
    if (nextDeadline() != expectedDeadline) return where + "nextDeadline " + nextDeadline().toString() + ", model " + expectedDeadline.toString();
    if (liveCount() != <u32>(model.length + lastBatch.length)) return where + "liveCount";
    if (readyLen() != 0) return where + "readyLen";
  }
  if (inserts < ops / 3 || cancels < ops / 10 || fired < ops / 10) return "seed " + seedValue.toString() + ": too few operations of some kind";
  return "";
}

describe("timer heap", (): void => {
  beforeEach((): void => {
    reset();
  });

  it("fires equal deadlines in scheduling order", (): void => {
    const whens: f64[] = [5, 3, 5, 3, 5, 1, 3, 5];
    const ids = new Array<f64>(whens.length);
    for (let i = 0; i < whens.length; i++) ids[i] = at(whens[i]);
    expect(nextDeadline()).toBe(1.0);
    expect(tick(10)).toBe(8);
    expect(batch()).toStrictEqual(slotsOf([ids[5], ids[1], ids[3], ids[6], ids[0], ids[2], ids[4], ids[7]]));

    // 300 timers on 3 deadlines, scheduled interleaved, some cancelled
    tick(10);
    const groups = new Array<Array<f64>>(3);
    for (let g = 0; g < 3; g++) groups[g] = new Array<f64>();
    for (let i = 0; i < 300; i++) {
      const g = (i * 7) % 3;
      const id = at(<f64>(10 + g));
      if (i % 11 == 0) expect(cancel(id)).toBe(1);
      else groups[g].push(id);
    }
    const expected = groups[0].concat(groups[1]).concat(groups[2]);
    expect(tick(12)).toBe(expected.length);
    expect(batch()).toStrictEqual(slotsOf(expected));
  });

  it("makes a timer due when when <= now, not before", (): void => {
    const t1 = at(1.0);
    const t15 = at(1.5);
    const t2 = at(2.0);
    expect(tick(0.999)).toBe(0);
    expect(timerLen()).toBe(3);
    expect(tick(1.0)).toBe(1); // exactly at the deadline
    expect(batchAt(0)).toBe(slotOf(t1));
    expect(nextDeadline()).toBe(1.5);
    expect(tick(1.4999999999999998)).toBe(0); // the f64 just below 1.5
    expect(tick(NaN)).toBe(0); // nothing is <= NaN
    expect(tick(2.0)).toBe(2);
    expect(batch()).toStrictEqual(slotsOf([t15, t2]));
    expect(timerLen()).toBe(0);
    expect(nextDeadline()).toBe(Infinity);
  });

  it("appends due timers after the handles already ready", (): void => {
    const a = soon();
    const t1 = at(1);
    const b = soon();
    const t0 = at(0.5);
    const late = at(7);
    expect(tick(1)).toBe(4);
    expect(batch()).toStrictEqual(slotsOf([a, b, t0, t1]));
    expect(isPending(late)).toBe(1);
    expect(timerLen()).toBe(1);
  });

  it("removes a cancelled timer at once (timerLen, nextDeadline, liveCount, slot)", (): void => {
    const t1 = at(1);
    const t2 = at(2);
    const t3 = at(3);
    const t4 = at(4);
    expect(timerLen()).toBe(4);
    expect(cancel(t1)).toBe(1);
    expect(timerLen()).toBe(3);
    expect(nextDeadline()).toBe(2.0);
    expect(liveCount()).toBe(3);
    expect(cancel(t1)).toBe(0);
    expect(timerLen()).toBe(3);
    expect(cancel(t3)).toBe(1); // from the middle
    expect(timerLen()).toBe(2);
    expect(nextDeadline()).toBe(2.0);
    const t5 = at(0.5); // t3's slot, freed at once (no tombstone)
    expect(t5).toBe(t3 + SPAN);
    expect(nextDeadline()).toBe(0.5);
    expect(cancel(t5)).toBe(1);
    expect(cancel(t4)).toBe(1);
    expect(nextDeadline()).toBe(2.0);
    expect(cancel(t2)).toBe(1);
    expect(timerLen()).toBe(0);
    expect(nextDeadline()).toBe(Infinity);
    expect(liveCount()).toBe(0);
    expect(tick(Infinity)).toBe(0);
  });

  it("orders and fires ±Infinity deadlines", (): void => {
    const pInf = at(Infinity);
    const zero = at(0);
    const nInf = at(-Infinity);
    const pInf2 = at(Infinity);
    const nInf2 = at(-Infinity);
    expect(nextDeadline()).toBe(-Infinity);
    expect(tick(-1e308)).toBe(2); // -Infinity is due at any time
    expect(batch()).toStrictEqual(slotsOf([nInf, nInf2]));
    expect(nextDeadline()).toBe(0.0);
    expect(tick(f64.MAX_VALUE)).toBe(1);
    expect(batchAt(0)).toBe(slotOf(zero));
    // only +Infinity timers left: nextDeadline is +Infinity, but timerLen tells them apart
    expect(nextDeadline()).toBe(Infinity);
    expect(timerLen()).toBe(2);
    expect(tick(Infinity)).toBe(2);
    expect(batch()).toStrictEqual(slotsOf([pInf, pInf2]));
    expect(timerLen()).toBe(0);
    // cancelling an infinite timer
    const x = at(Infinity);
    expect(cancel(x)).toBe(1);
    expect(timerLen()).toBe(0);
  });

  it("rejects a NaN deadline (assert) without changing the state", (): void => {
    at(3);
    expect((): void => {
      at(NaN);
    }).toThrow();
    expect(timerLen()).toBe(1);
    expect(liveCount()).toBe(1);
    expect(nextDeadline()).toBe(3.0);
  });

  it("matches a sorted-array model over random insert/cancel/tick sequences", (): void => {
    const seeds: u32[] = [1, 0x9e3779b9, 12345, 0xdeadbeef, 77];
    for (let i = 0; i < seeds.length; i++) {
      expect(modelRun(seeds[i], 4000)).toBe("");
    }
  });

  it("grows past 1,000,000 timers: cancel at scale, fire in order in stages", (): void => {
    const N = 1100000;
    const byWhen = new StaticArray<f64>(N); // deadline w -> id; (i * 7919) % N is a permutation
    for (let i = 0; i < N; i++) {
      const w = <i32>((<i64>i * 7919) % N);
      byWhen[w] = at(<f64>w);
    }
    expect(timerLen()).toBe(N);
    expect(nextDeadline()).toBe(0.0);
    let cancelled = 0;
    let wrong = 0;
    for (let w = 0; w < N; w += 3) {
      if (cancel(byWhen[w]) != 1) wrong++;
      cancelled++;
    }
    expect(wrong).toBe(0);
    expect(timerLen()).toBe(N - cancelled);
    expect(nextDeadline()).toBe(1.0);
    expect(liveCount()).toBe(N - cancelled);
    // fire in 11 stages of 100,000 deadlines: each batch is the live deadlines of that range, ascending
    let total = 0;
    for (let stage = 0; stage < 11; stage++) {
      const lo = stage * 100000;
      const hi = lo + 100000;
      const n = tick(<f64>(hi - 1));
      let k = 0;
      for (let w = lo; w < hi; w++) {
        if (w % 3 == 0) continue;
        if (<u32>k >= <u32>n || batchAt(k) != slotOf(byWhen[w])) wrong++;
        k++;
      }
      if (k != n) wrong++;
      total += n;
    }
    expect(wrong).toBe(0);
    expect(total).toBe(N - cancelled);
    expect(timerLen()).toBe(0);
    expect(nextDeadline()).toBe(Infinity);
    tick(0);
    expect(liveCount()).toBe(0);
  });
});

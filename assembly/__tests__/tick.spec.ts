// tick(): batch length and BATCH memory, recycling of the previous batch (and release()), due
// timers after ready handles, the checksum, and the seeded random schedule.
import {
  statePtr, soon, at, cancel, isPending, tick, release, reset, seed, setRandomSchedule, setChecksum,
} from "../index";
import { SPAN, batch, batchAt, batchLen, batchPtr, checksum, liveCount, readyLen, schedule, slotHigh, slotOf, slotsOf, st, timerLen } from "./state";


/** For each batch position, the index in `ids` of the handle there (-1 if none matches). */
function positions(ids: f64[]): i32[] {
  const n = batchLen();
  const out = new Array<i32>(n);
  for (let k: u32 = 0; k < n; k++) {
    out[k] = -1;
    for (let i = 0; i < ids.length; i++) if (slotOf(ids[i]) == batchAt(k)) out[k] = i;
  }
  return out;
}
function isPermutation(p: i32[], n: i32): bool {
  if (p.length != n) return false;
  const seen = new Array<bool>(n);
  for (let k = 0; k < n; k++) {
    const i = p[k];
    if (i < 0 || i >= n || seen[i]) return false;
    seen[i] = true;
  }
  return true;
}
function identity(n: i32): i32[] {
  const out = new Array<i32>(n);
  for (let i = 0; i < n; i++) out[i] = i;
  return out;
}
/** reset, seed, random schedule on, n ready handles, one tick: the permutation it produced. */
function shuffle(lo: u32, hi: u32, n: i32): i32[] {
  reset();
  seed(lo, hi);
  setRandomSchedule(1);
  const ids = schedule(n);
  tick(0);
  return positions(ids);
}
/** reset, schedule timers at `whens` (none due at -1), tick(-1): the checksum. */
function timersChecksum(whens: f64[]): u32 {
  reset();
  for (let i = 0; i < whens.length; i++) at(whens[i]);
  tick(-1);
  return checksum();
}

describe("tick", (): void => {
  beforeEach((): void => {
    reset();
    setRandomSchedule(0);
    setChecksum(0);
  });

  it("returns the batch length and writes the batch's slots at STATE.batchPtr", (): void => {
    expect(tick(0)).toBe(0);
    expect(batchLen()).toBe(0);
    const ids = schedule(5);
    expect(tick(0)).toBe(5);
    expect(batchLen()).toBe(5);
    expect(batchPtr()).toBeGreaterThan(0);
    expect(batch()).toStrictEqual(slotsOf(ids));
    expect(readyLen()).toBe(0);
    // a batch larger than the buffer moves it; STATE publishes the new address
    const many = schedule(1000);
    expect(tick(0)).toBe(1000);
    expect(batchLen()).toBe(1000);
    expect(batch()).toStrictEqual(slotsOf(many));
  });

  it("recycles the previous batch's slots at the next tick, not before", (): void => {
    const a = soon();
    const b = soon();
    expect(tick(0)).toBe(2);
    expect(liveCount()).toBe(2);
    // while the batch runs its slots stay taken: a new handle gets another slot
    const c = soon();
    expect(slotOf(c)).not.toBe(slotOf(a));
    expect(slotOf(c)).not.toBe(slotOf(b));
    expect(liveCount()).toBe(3);
    expect(isPending(a)).toBe(1);
    expect(tick(0)).toBe(1); // releases a and b, runs c
    expect(liveCount()).toBe(1);
    expect(isPending(a)).toBe(0);
    expect(isPending(b)).toBe(0);
    expect(isPending(c)).toBe(1);
    // released last-first, each one generation up
    expect(soon()).toBe(b + SPAN);
    expect(soon()).toBe(a + SPAN);
    const high = slotHigh();
    tick(0);
    tick(0);
    expect(slotHigh()).toBe(high);
    expect(liveCount()).toBe(0);
  });

  it("release(): recycles the current batch at once; the next tick does not release it again", (): void => {
    const a = soon();
    const b = soon();
    expect(tick(0)).toBe(2);
    expect(liveCount()).toBe(2);
    release();
    expect(batchLen()).toBe(0);
    expect(liveCount()).toBe(0);
    expect(isPending(a)).toBe(0);
    expect(cancel(b)).toBe(0);
    // the slots are reusable right away, last released first, one generation up
    const c = soon();
    const d = soon();
    expect(c).toBe(b + SPAN);
    expect(d).toBe(a + SPAN);
    // the next tick must not free c's and d's slots a second time
    expect(tick(0)).toBe(2);
    expect(batch()).toStrictEqual(slotsOf([c, d]));
    expect(liveCount()).toBe(2);
    expect(isPending(c)).toBe(1);
    expect(isPending(d)).toBe(1);
    tick(0);
    expect(liveCount()).toBe(0);
    // each slot is on the free list once: new handles get distinct slots
    const e = soon();
    const f = soon();
    const g = soon();
    expect(slotOf(e)).not.toBe(slotOf(f));
    expect(slotOf(g)).not.toBe(slotOf(e));
    expect(slotOf(g)).not.toBe(slotOf(f));
    // without a batch it does nothing: ready handles and timers are not touched
    const t = at(5);
    release();
    expect(readyLen()).toBe(3);
    expect(timerLen()).toBe(1);
    expect(liveCount()).toBe(4);
    expect(tick(0)).toBe(3);
    release();
    release(); // twice: no double free
    expect(liveCount()).toBe(1);
    expect(isPending(t)).toBe(1);
    expect(isPending(e)).toBe(0);
    expect(tick(5)).toBe(1);
    expect(batchAt(0)).toBe(slotOf(t));
    release();
    expect(liveCount()).toBe(0);
  });

  it("appends due timers after the handles already ready, in (when, seq) order", (): void => {
    const t2 = at(2);
    const a = soon();
    const t1 = at(1);
    const b = soon();
    const t1b = at(1);
    const c = soon();
    expect(tick(2)).toBe(6);
    expect(batch()).toStrictEqual(slotsOf([a, b, c, t1, t1b, t2]));
    expect(timerLen()).toBe(0);
    // a due timer with no ready handles, and ready handles with no due timer
    const t = at(3);
    expect(tick(3)).toBe(1);
    expect(batchAt(0)).toBe(slotOf(t));
    const d = soon();
    at(9);
    expect(tick(3)).toBe(1);
    expect(batchAt(0)).toBe(slotOf(d));
  });

  it("checksum: equal for equal timer states built the same way, different otherwise", (): void => {
    setChecksum(1);
    const base = timersChecksum([1, 2, 3]);
    expect(timersChecksum([1, 2, 3])).toBe(base);
    // a timer scheduled and cancelled leaves no trace (its seq is not reused, the rest are equal)
    reset();
    at(1);
    at(2);
    at(3);
    const x = at(9);
    expect(cancel(x)).toBe(1);
    tick(-1);
    expect(checksum()).toBe(base);
    // a different deadline, count, or deadline-to-seq pairing is a different state
    expect(timersChecksum([1, 2, 4])).not.toBe(base);
    expect(timersChecksum([1, 2])).not.toBe(base);
    expect(timersChecksum([1, 2, 3, 3])).not.toBe(base);
    expect(timersChecksum([3, 2, 1])).not.toBe(base);
    expect(timersChecksum([Infinity, 2, 3])).not.toBe(base);
    expect(timersChecksum([])).not.toBe(base);
  });

  it("checksum: covers the batch's ids and is recomputed at every tick", (): void => {
    setChecksum(1);
    reset();
    at(5);
    tick(0);
    const timersOnly = checksum();
    soon();
    tick(0);
    const withA = checksum();
    expect(withA).not.toBe(timersOnly);
    soon();
    soon();
    tick(0);
    const withBC = checksum();
    expect(withBC).not.toBe(withA);
    expect(withBC).not.toBe(timersOnly);
    tick(0); // empty batch again, same timers as before: same checksum as then
    expect(checksum()).toBe(timersOnly);
    // the same slots in another order, or at another generation, give another checksum
    reset();
    setRandomSchedule(0);
    schedule(8);
    tick(0);
    const fifoSum = checksum();
    const fifoSlots = batch();
    tick(0);
    // the same 8 slots again (all one generation up): different ids, different checksum
    schedule(8);
    tick(0);
    expect(batch().sort()).toStrictEqual(fifoSlots.sort());
    expect(checksum()).not.toBe(fifoSum);
    // checksum off: STATE.checksum is left alone
    setChecksum(0);
    const frozen = checksum();
    soon();
    tick(0);
    expect(checksum()).toBe(frozen);
  });

  it("is FIFO when the random schedule is off", (): void => {
    reset();
    seed(42, 0);
    setRandomSchedule(0);
    const ids = schedule(50);
    tick(0);
    expect(positions(ids)).toStrictEqual(identity(50));
  });

  it("random schedule: a permutation of the batch, reproducible per seed", (): void => {
    const p = shuffle(42, 0, 50);
    expect(isPermutation(p, 50)).toBe(true);
    expect(p).not.toStrictEqual(identity(50)); // 1 in 50! to be identity by chance
    expect(shuffle(42, 0, 50)).toStrictEqual(p);
    expect(shuffle(43, 0, 50)).not.toStrictEqual(p);
    expect(shuffle(42, 1, 50)).not.toStrictEqual(p);
    // every batch is permuted, with the generator moving on: the next batch differs
    reset();
    seed(42, 0);
    setRandomSchedule(1);
    const first = schedule(50);
    tick(0);
    expect(positions(first)).toStrictEqual(p);
    const second = schedule(50);
    tick(0);
    const q = positions(second);
    expect(isPermutation(q, 50)).toBe(true);
    expect(q).not.toStrictEqual(p);
  });

  it("random schedule: the known-answer permutation for seed(42, 0) and 10 handles", (): void => {
    // Fisher–Yates from the back with j = nextU32() % (i + 1), from an independent JS xoshiro128**
    expect(shuffle(42, 0, 10)).toStrictEqual([6, 2, 7, 8, 1, 3, 4, 5, 9, 0]);
  });

  it("random schedule: permutes ready handles and due timers together, drops cancelled ones", (): void => {
    reset();
    seed(7, 7);
    setRandomSchedule(1);
    const ids = new Array<f64>();
    for (let i = 0; i < 20; i++) ids.push(soon());
    for (let i = 0; i < 20; i++) ids.push(at(<f64>i));
    expect(cancel(ids[3])).toBe(1);
    expect(cancel(ids[25])).toBe(1);
    expect(tick(100)).toBe(38);
    const p = positions(ids);
    let missing = 0;
    const seen = new Array<bool>(40);
    for (let k = 0; k < p.length; k++) {
      if (p[k] < 0 || seen[p[k]]) missing++;
      else seen[p[k]] = true;
    }
    expect(missing).toBe(0);
    expect(seen[3]).toBe(false);
    expect(seen[25]).toBe(false);
    // and not simply ready-then-timers
    let ordered = true;
    for (let k = 1; k < p.length; k++) if (p[k] < p[k - 1]) ordered = false;
    expect(ordered).toBe(false);
  });

  it("random schedule: all 6 orders of 3 handles, each about equally often (Fisher–Yates)", (): void => {
    reset();
    seed(2024, 5);
    setRandomSchedule(1);
    const counts = new Array<i32>(6);
    const TRIALS = 6000;
    for (let t = 0; t < TRIALS; t++) {
      const ids = schedule(3);
      tick(0);
      const p = positions(ids);
      // which of the 6 orders: the first handle's index, and whether the other two are swapped
      const code = p[0] * 2 + (p[1] > p[2] ? 1 : 0);
      counts[code]++;
    }
    tick(0);
    for (let i = 0; i < 6; i++) {
      expect(counts[i]).toBeGreaterThan(850, "order " + i.toString());
      expect(counts[i]).toBeLessThan(1150, "order " + i.toString());
    }
  });
});

// tick(): batch length and BATCH memory, recycling of the previous batch (and release()), due
// timers after ready handles, the checksum, and the seeded random schedule.
import {
  statePtr, soon, at, cancel, isPending, tick, release, reset, seed, nextU32, setChecksum,
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
function identity(n: i32): i32[] {
  const out = new Array<i32>(n);
  for (let i = 0; i < n; i++) out[i] = i;
  return out;
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

  it("is FIFO: the host permutes batches for other schedules", (): void => {
    reset();
    seed(42, 0);
    const ids = schedule(50);
    tick(0);
    expect(positions(ids)).toStrictEqual(identity(50));
  });

});

describe("nextU32", (): void => {
  it("is the seeded generator's next 32 bits: the same per seed, different across seeds", (): void => {
    seed(42, 0);
    const a = [nextU32(), nextU32(), nextU32()];
    seed(42, 0);
    expect([nextU32(), nextU32(), nextU32()]).toStrictEqual(a);
    seed(43, 0);
    expect([nextU32(), nextU32(), nextU32()]).not.toStrictEqual(a);
  });
});

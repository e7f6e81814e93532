// reset(): drops every handle and timer; every old id becomes stale, also once its slot is reused.
import { statePtr, soon, at, cancel, isPending, tick, reset, setChecksum } from "../index";
import { batchAt, batchLen, checksum, liveCount, nextDeadline, readyLen, slotHigh, slotOf, st, timerLen } from "./state";


/** Live ids of every kind: in the batch (one cancelled), ready (one cancelled), timers. */
function populate(old: f64[]): void {
  const inBatch1 = soon();
  const inBatch2 = soon();
  tick(0);
  cancel(inBatch2);
  old.push(inBatch1);
  old.push(inBatch2);
  for (let i = 0; i < 5; i++) old.push(soon());
  cancel(old[old.length - 2]);
  for (let i = 0; i < 5; i++) old.push(at(<f64>(i + 1)));
  old.push(at(Infinity));
  old.push(at(-Infinity));
}

describe("reset", (): void => {
  it("drops everything and zeroes the public state", (): void => {
    setChecksum(1);
    const old = new Array<f64>();
    populate(old);
    tick(0); // checksum != 0 now
    populate(old);
    expect(liveCount()).toBeGreaterThan(0);
    expect(checksum()).not.toBe(0);
    reset();
    expect(readyLen()).toBe(0);
    expect(timerLen()).toBe(0);
    expect(batchLen()).toBe(0);
    expect(liveCount()).toBe(0);
    expect(checksum()).toBe(0);
    expect(nextDeadline()).toBe(Infinity);
    let alive = 0;
    for (let i = 0; i < old.length; i++) alive += isPending(old[i]) + cancel(old[i]);
    expect(alive).toBe(0);
    // nothing left to run, at any time; nothing released twice
    expect(tick(Infinity)).toBe(0);
    expect(tick(Infinity)).toBe(0);
    expect(liveCount()).toBe(0);
    setChecksum(0);
  });

  it("keeps old ids stale when their slots are reused, and reuses every slot once", (): void => {
    const old = new Array<f64>();
    populate(old);
    populate(old);
    reset();
    const high = slotHigh();
    // take every slot again: all come from the free list, each exactly once
    const fresh = new Array<f64>(<i32>high);
    for (let i = 0; i < <i32>high; i++) fresh[i] = i & 1 ? soon() : at(<f64>i);
    expect(slotHigh()).toBe(high);
    const seen = new Array<bool>(<i32>high);
    let dupes = 0;
    for (let i = 0; i < fresh.length; i++) {
      const s = slotOf(fresh[i]);
      if (seen[s]) dupes++;
      seen[s] = true;
    }
    expect(dupes).toBe(0);
    // no new id equals an old one; old ids can neither see nor cancel the new handles
    let clash = 0;
    for (let i = 0; i < old.length; i++) {
      for (let j = 0; j < fresh.length; j++) if (old[i] == fresh[j]) clash++;
    }
    expect(clash).toBe(0);
    let alive = 0;
    for (let i = 0; i < old.length; i++) alive += isPending(old[i]) + cancel(old[i]);
    expect(alive).toBe(0);
    let pending = 0;
    for (let j = 0; j < fresh.length; j++) pending += isPending(fresh[j]);
    expect(pending).toBe(fresh.length);
    expect(liveCount()).toBe(high);
    expect(tick(Infinity)).toBe(<i32>high);
    tick(Infinity);
    expect(liveCount()).toBe(0);
  });

  it("leaves a working loop: FIFO, timers and tie order restart cleanly", (): void => {
    const old = new Array<f64>();
    populate(old);
    reset();
    const t1 = at(1);
    const a = soon();
    const t1b = at(1);
    const t0 = at(0);
    const b = soon();
    expect(nextDeadline()).toBe(0.0);
    expect(tick(1)).toBe(5);
    expect(batchAt(0)).toBe(slotOf(a));
    expect(batchAt(1)).toBe(slotOf(b));
    expect(batchAt(2)).toBe(slotOf(t0));
    expect(batchAt(3)).toBe(slotOf(t1));
    expect(batchAt(4)).toBe(slotOf(t1b));
    expect(tick(1)).toBe(0);
    expect(liveCount()).toBe(0);
  });

  it("is idempotent: a second reset changes nothing and old ids stay stale", (): void => {
    const old = new Array<f64>();
    populate(old);
    reset();
    const high = slotHigh();
    reset();
    expect(slotHigh()).toBe(high);
    expect(liveCount()).toBe(0);
    const ids = new Array<f64>();
    for (let i = 0; i < <i32>high; i++) ids.push(soon());
    expect(slotHigh()).toBe(high);
    let alive = 0;
    for (let i = 0; i < old.length; i++) alive += isPending(old[i]);
    expect(alive).toBe(0);
    expect(tick(0)).toBe(<i32>high);
  });
});

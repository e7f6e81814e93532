// Handle table: id layout, slot reuse with generations, stale and malformed ids, growth.
// Slot retirement at the generation limit is in generation.spec.ts (it needs a fresh slot 0).
import { statePtr, soon, at, cancel, isPending, tick, reset, wipe } from "../index";
import { SPAN, TWO53, batch, batchAt, batchLen, genOf, liveCount, nextDeadline, readyLen, slotHigh, slotOf, slotsOf, st, timerLen } from "./state";



describe("handle table", (): void => {
  beforeEach((): void => {
    reset();
  });

  // must stay the first test of this file: it relies on a fresh table (slot 0 never used)
  it("issues ids gen*2^32+slot: fresh slots count up from 0 with generation 0", (): void => {
    expect(slotHigh()).toBe(0);
    const a = soon();
    const b = soon();
    const t = at(1.0);
    const c = soon();
    expect(a).toBe(0.0);
    expect(b).toBe(1.0);
    expect(t).toBe(2.0);
    expect(c).toBe(3.0);
    expect(slotHigh()).toBe(4);
    expect(liveCount()).toBe(4);

    // a, b, c run, then are released at the next tick: pushed on the free list in batch order,
    // so they come back last-freed-first, each one generation up; slot 2 (the timer) stays live
    expect(tick(0)).toBe(3);
    expect(batch()).toStrictEqual([0, 1, 3]);
    expect(tick(0)).toBe(0);
    expect(liveCount()).toBe(1);
    expect(soon()).toBe(SPAN + 3.0);
    expect(soon()).toBe(SPAN + 1.0);
    expect(soon()).toBe(SPAN + 0.0);
    expect(soon()).toBe(4.0); // free list empty: a fresh slot
    expect(slotHigh()).toBe(5);

    // a cancelled timer's slot is free at once, also one generation up
    expect(cancel(t)).toBe(1);
    expect(at(5.0)).toBe(SPAN + 2.0);
  });

  it("bumps a reused slot's generation by exactly one per reuse", (): void => {
    const first = soon();
    tick(0);
    tick(0);
    let prev = first;
    let wrong = 0;
    for (let i = 0; i < 1000; i++) {
      const id = i & 1 ? soon() : at(<f64>i);
      if (slotOf(id) != slotOf(first) || genOf(id) != genOf(prev) + 1 || id != prev + SPAN) wrong++;
      if (i & 1) {
        tick(0);
        tick(0);
      } else if (cancel(id) != 1) {
        wrong++;
      }
      prev = id;
    }
    expect(wrong).toBe(0);
    expect(prev).toBe(first + 1000 * SPAN);
    expect(liveCount()).toBe(0);
  });

  it("rejects a stale id after its slot was reused, without touching the new handle", (): void => {
    // ready handle: ran, released, slot reused
    const a = soon();
    tick(0);
    tick(0);
    const b = soon();
    expect(b).toBe(a + SPAN);
    expect(isPending(a)).toBe(0);
    expect(cancel(a)).toBe(0);
    expect(isPending(b)).toBe(1);
    expect(readyLen()).toBe(1);
    expect(liveCount()).toBe(1);
    expect(tick(0)).toBe(1);
    expect(batchAt(0)).toBe(slotOf(b)); // not cancelled by the stale id
    // b is in the batch now: the stale id still cannot cancel it
    expect(cancel(a)).toBe(0);
    expect(isPending(b)).toBe(1);
    tick(0);

    // timer: cancelled, slot reused by another timer
    const t = at(10);
    expect(cancel(t)).toBe(1);
    const u = at(20);
    expect(u).toBe(t + SPAN);
    expect(cancel(t)).toBe(0);
    expect(isPending(t)).toBe(0);
    expect(isPending(u)).toBe(1);
    expect(timerLen()).toBe(1);
    expect(nextDeadline()).toBe(20.0);
    expect(tick(20)).toBe(1);
    expect(batchAt(0)).toBe(slotOf(u));
    tick(20);

    // an id several generations old is stale too
    const v = soon(); // reuses u's slot
    tick(0);
    tick(0);
    const w = soon();
    expect(w).toBe(t + 3 * SPAN);
    expect(cancel(t)).toBe(0);
    expect(cancel(u)).toBe(0);
    expect(cancel(v)).toBe(0);
    expect(isPending(w)).toBe(1);
    expect(tick(0)).toBe(1);
    expect(batchAt(0)).toBe(slotOf(w));
  });

  it("returns 0 for malformed ids and changes nothing", (): void => {
    const a = soon();
    const t = at(5);
    const b = soon();
    const high = <f64>slotHigh();
    const bad: f64[] = [
      -1.0, -0.5, -SPAN, -TWO53, NaN, -NaN, Infinity, -Infinity,
      0.5, a + 0.5, t + 0.25, b + 0.75, t + SPAN * 0.5, 1e-300,
      TWO53, TWO53 + 2.0, TWO53 * 2.0, 1e300, f64.MAX_VALUE,
      TWO53 - 1.0,         // gen 2^21-1, slot 2^32-1: slot never issued
      SPAN - 1.0,          // gen 0, slot 2^32-1
      high, high + 7.0,    // slots never issued
      high + SPAN,
      a + SPAN, t + SPAN, b + 5.0 * SPAN, // live slots, generations not issued yet
    ];
    for (let i = 0; i < bad.length; i++) {
      expect(cancel(bad[i])).toBe(0, "cancel(" + bad[i].toString() + ")");
      expect(isPending(bad[i])).toBe(0, "isPending(" + bad[i].toString() + ")");
    }
    expect(readyLen()).toBe(2);
    expect(timerLen()).toBe(1);
    expect(liveCount()).toBe(3);
    expect(nextDeadline()).toBe(5.0);
    expect(slotHigh()).toBe(<u32>high);
    expect(isPending(a)).toBe(1);
    expect(isPending(t)).toBe(1);
    expect(isPending(b)).toBe(1);
    expect(tick(5)).toBe(3);
    expect(batch()).toStrictEqual(slotsOf([a, b, t]));
    tick(5);
    // a released slot's next generation is not valid before it is issued
    expect(isPending(a + SPAN)).toBe(0);
    expect(cancel(a + SPAN)).toBe(0);
    expect(soon()).toBe(t + SPAN); // released last, reused first
    expect(isPending(a + SPAN)).toBe(0);
  });

  it("isPending: 1 while scheduled, due or in the batch; 0 once cancelled or released", (): void => {
    const a = soon();
    const t = at(1);
    const c = soon();
    expect(isPending(a)).toBe(1);
    expect(isPending(t)).toBe(1);
    expect(cancel(c)).toBe(1);
    expect(isPending(c)).toBe(0);
    expect(tick(1)).toBe(2); // a, then the due timer; c dropped
    expect(isPending(a)).toBe(1);
    expect(isPending(t)).toBe(1);
    expect(isPending(c)).toBe(0);
    expect(tick(1)).toBe(0);
    expect(isPending(a)).toBe(0);
    expect(isPending(t)).toBe(0);
    expect(liveCount()).toBe(0);
  });

  it("grows past 1,000,000 live handles (1.1M soon + 1.1M at): each runs exactly once, in order", (): void => {
    const N = 1100000;
    const M = 275000; // deadlines (i * 7919) % M: every deadline shared by 4 timers
    const soonIds = new StaticArray<f64>(N);
    const timerIds = new StaticArray<f64>(N);
    for (let i = 0; i < N; i++) {
      soonIds[i] = soon();
      timerIds[i] = at(<f64>((<i64>i * 7919) % M));
    }
    expect(liveCount()).toBe(2 * N);
    expect(readyLen()).toBe(N);
    expect(timerLen()).toBe(N);
    expect(slotHigh()).toBeGreaterThanOrEqual(2 * N);
    expect(nextDeadline()).toBe(0.0);

    // ids are distinct: map slot -> scheduling index (timers) and mark soon slots
    const high = slotHigh();
    const owner = new StaticArray<i32>(high);
    for (let s: u32 = 0; s < high; s++) owner[s] = -1;
    let dupes = 0;
    for (let i = 0; i < N; i++) {
      const s = slotOf(soonIds[i]);
      if (owner[s] != -1) dupes++;
      owner[s] = -2;
    }
    for (let i = 0; i < N; i++) {
      const s = slotOf(timerIds[i]);
      if (owner[s] != -1) dupes++;
      owner[s] = i;
    }
    expect(dupes).toBe(0);

    expect(tick(<f64>M)).toBe(2 * N);
    expect(readyLen()).toBe(0);
    expect(timerLen()).toBe(0);
    expect(nextDeadline()).toBe(Infinity);
    // first every ready handle in FIFO order...
    let wrongSoon = 0;
    for (let i = 0; i < N; i++) if (batchAt(i) != slotOf(soonIds[i])) wrongSoon++;
    expect(wrongSoon).toBe(0);
    // ...then every timer once, strictly increasing in (when, scheduling order)
    let wrongTimer = 0;
    let prevWhen: i64 = -1;
    let prevI: i32 = -1;
    for (let k = N; k < 2 * N; k++) {
      const i = owner[batchAt(k)];
      if (i < 0) { wrongTimer++; continue; }
      const when = (<i64>i * 7919) % M;
      if (when < prevWhen || (when == prevWhen && i <= prevI)) wrongTimer++;
      prevWhen = when;
      prevI = i;
    }
    expect(wrongTimer).toBe(0);

    expect(tick(<f64>M)).toBe(0);
    expect(liveCount()).toBe(0);
    let stillPending = 0;
    for (let i = 0; i < N; i++) stillPending += isPending(soonIds[i]) + isPending(timerIds[i]);
    expect(stillPending).toBe(0);

    // every slot comes back from the free list: a second round does not grow the table
    for (let i = 0; i < 2 * N; i++) soon();
    expect(slotHigh()).toBe(high);
    expect(tick(0)).toBe(2 * N);
    tick(0);
  });
});

describe("wipe", (): void => {
  it("returns the core to a new instance's state: ids start again at slot 0, generation 0", (): void => {
    reset();
    for (let i = 0; i < 10; i++) soon();
    tick(0);
    tick(0); // the ten slots were used and freed: their generations moved on
    at(5.0);
    wipe();
    expect(slotHigh()).toBe(0);
    expect(liveCount()).toBe(0);
    expect(timerLen()).toBe(0);
    expect(readyLen()).toBe(0);
    expect(soon()).toBe(0); // slot 0, generation 0: what a new instance issues first
    expect(soon()).toBe(1);
    wipe();
  });
});

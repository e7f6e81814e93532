// Ready ring: FIFO order, per-tick snapshot, growth with wraparound, cancellation.
import { statePtr, soon, at, cancel, isPending, tick, reset } from "../index";
import { SPAN, batch, batchAt, batchLen, liveCount, readyLen, schedule, slotOf, slotsOf, st } from "./state";



/** The test's own generator (xorshift32), independent of the core's. */
let rngState: u32 = 1;
function rand(n: u32): u32 {
  let x = rngState;
  x ^= x << 13;
  x ^= x >>> 17;
  x ^= x << 5;
  rngState = x;
  return x % n;
}

/** Mismatches between the current batch and the expected ids (length and every position). */
function batchMismatches(expected: f64[]): i32 {
  if (batchLen() != <u32>expected.length) return 1000000;
  let wrong = 0;
  for (let i = 0; i < expected.length; i++) if (batchAt(i) != slotOf(expected[i])) wrong++;
  return wrong;
}

describe("ready ring", (): void => {
  beforeEach((): void => {
    reset();
  });

  // must stay the first test of this file: it relies on the fresh ring (capacity 64, head 0)
  it("grows with its head mid-ring (wrapped) and keeps FIFO order", (): void => {
    const warm = schedule(40);
    expect(tick(0)).toBe(40); // head is now 40
    expect(batch()).toStrictEqual(slotsOf(warm));
    // 24 entries fill [40, 64), 40 wrap to [0, 40), the 65th grows the full, wrapped ring
    const ids = schedule(100);
    expect(readyLen()).toBe(100);
    expect(tick(0)).toBe(100);
    expect(batch()).toStrictEqual(slotsOf(ids));
    // again at the next capacities: head 100 of 128, then 200 of 256 (after 300 wrapped)
    const ids2 = schedule(200);
    expect(tick(0)).toBe(200);
    expect(batchMismatches(ids2)).toBe(0);
    const ids3 = schedule(300);
    expect(tick(0)).toBe(300);
    expect(batchMismatches(ids3)).toBe(0);
    const ids4 = schedule(700);
    expect(tick(0)).toBe(700);
    expect(batchMismatches(ids4)).toBe(0);
    expect(tick(0)).toBe(0);
    expect(liveCount()).toBe(0);
  });

  it("runs handles in FIFO order", (): void => {
    const ids = schedule(10);
    expect(readyLen()).toBe(10);
    expect(tick(0)).toBe(10);
    expect(batch()).toStrictEqual(slotsOf(ids));
    expect(readyLen()).toBe(0);
  });

  it("drains exactly the handles ready when the tick began", (): void => {
    const a = soon();
    const b = soon();
    expect(tick(0)).toBe(2);
    // the host now runs a and b, which schedule more: those wait for the next tick
    const c = soon();
    const d = soon();
    expect(readyLen()).toBe(2);
    expect(batchLen()).toBe(2);
    expect(batch()).toStrictEqual(slotsOf([a, b]));
    expect(tick(0)).toBe(2);
    expect(batch()).toStrictEqual(slotsOf([c, d]));
    expect(tick(0)).toBe(0);
    expect(batchLen()).toBe(0);

    // a chain: every callback schedules the next one; one per tick
    let id = soon();
    let wrong = 0;
    for (let i = 0; i < 1000; i++) {
      if (tick(0) != 1 || batchAt(0) != slotOf(id)) wrong++;
      id = soon();
    }
    expect(wrong).toBe(0);
    expect(readyLen()).toBe(1);
  });

  it("keeps FIFO order over random bursts, cancellations and ring growth (model check)", (): void => {
    rngState = 0x2545f491;
    const pending = new Array<f64>(); // ready, not cancelled, in scheduling order
    let lastBatch = new Array<f64>();
    let ticks = 0;
    for (let round = 0; round < 600; round++) {
      // bursts of every size, up to several ring capacities
      const burst = rand(8) == 0 ? rand(3000) : rand(90);
      for (let i: u32 = 0; i < burst; i++) pending.push(soon());
      // timers due at this round's tick join the ring inside tick() (growing it mid-ring too),
      // behind the ready handles, in scheduling order (equal deadlines)
      const timers = rand(4) == 0 ? rand(rand(6) == 0 ? 2000 : 60) : 0;
      const due = new Array<f64>();
      for (let i: u32 = 0; i < timers; i++) due.push(at(<f64>round));
      // cancel a few pending handles (each once: 1, then 0)
      const cancels = pending.length > 0 ? rand(4) : 0;
      let cancelled = 0;
      for (let i: u32 = 0; i < cancels && pending.length > 0; i++) {
        const k = <i32>rand(<u32>pending.length);
        const id = pending[k];
        if (cancel(id) != 1) { expect(cancel(id)).toBe(1, "first cancel, round " + round.toString()); }
        if (cancel(id) != 0) { expect(0).toBe(1, "second cancel returned 1, round " + round.toString()); }
        pending.splice(k, 1);
        cancelled++;
      }
      // cancelled handles stay in the ring until it drains
      if (readyLen() != <u32>(pending.length + cancelled)) {
        expect(readyLen()).toBe(pending.length + cancelled, "ready length, round " + round.toString());
      }
      const n = tick(<f64>round);
      ticks++;
      for (let i = 0; i < due.length; i++) pending.push(due[i]);
      if (n != pending.length || batchMismatches(pending) != 0) {
        expect(n).toBe(pending.length, "batch length, round " + round.toString());
        expect(batch()).toStrictEqual(slotsOf(pending), "batch order, round " + round.toString());
      }
      // the previous batch is released now: its ids are stale
      for (let i = 0; i < lastBatch.length; i++) {
        if (isPending(lastBatch[i]) != 0) expect(isPending(lastBatch[i])).toBe(0, "released id");
      }
      lastBatch = pending.slice(0);
      pending.length = 0;
      if (liveCount() != <u32>lastBatch.length) expect(liveCount()).toBe(lastBatch.length, "live count");
    }
    expect(ticks).toBe(600);
  });

  it("drops cancelled ready handles from the batch and frees them at that tick", (): void => {
    const ids = schedule(6);
    expect(cancel(ids[1])).toBe(1);
    expect(cancel(ids[1])).toBe(0);
    expect(cancel(ids[4])).toBe(1);
    expect(cancel(ids[4])).toBe(0);
    expect(isPending(ids[1])).toBe(0);
    expect(isPending(ids[0])).toBe(1);
    expect(readyLen()).toBe(6); // still in the ring until it drains
    expect(liveCount()).toBe(6);
    expect(tick(0)).toBe(4);
    expect(batch()).toStrictEqual(slotsOf([ids[0], ids[2], ids[3], ids[5]]));
    expect(liveCount()).toBe(4); // the two cancelled handles were freed by this tick
    expect(cancel(ids[1])).toBe(0);
    expect(isPending(ids[1])).toBe(0);
    // their slots are free at once (last freed first), one generation up
    expect(soon()).toBe(ids[4] + SPAN);
    expect(soon()).toBe(ids[1] + SPAN);
  });

  it("returns an empty batch when every ready handle was cancelled", (): void => {
    const ids = schedule(3);
    for (let i = 0; i < 3; i++) expect(cancel(ids[i])).toBe(1);
    expect(tick(0)).toBe(0);
    expect(batchLen()).toBe(0);
    expect(liveCount()).toBe(0);
    expect(readyLen()).toBe(0);
  });

  it("cancels a handle in the batch once (1, then 0); it is released at the next tick", (): void => {
    const a = soon();
    const b = soon();
    expect(tick(0)).toBe(2);
    expect(cancel(a)).toBe(1);
    expect(cancel(a)).toBe(0);
    expect(isPending(a)).toBe(0);
    expect(isPending(b)).toBe(1);
    // the batch is not rewritten: the host skips the callback it dropped
    expect(batch()).toStrictEqual(slotsOf([a, b]));
    expect(liveCount()).toBe(2);
    expect(tick(0)).toBe(0);
    expect(liveCount()).toBe(0);
    expect(cancel(a)).toBe(0);
    expect(cancel(b)).toBe(0);
  });
});

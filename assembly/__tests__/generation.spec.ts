// Generation limit: a slot whose generation reaches 2^21 is retired, so `gen * 2^32 + slot`
// stays an exact f64 below 2^53. Reached by cycling one slot 2^21 times (~2M soon + 4M tick,
// about a second here; keep expect() out of such loops, each call costs ~0.2 ms). The tests in this file depend on each other's slot history and
// run in order on a fresh core.
import { statePtr, soon, at, cancel, isPending, tick, reset } from "../index";
import { SPAN, liveCount, slotHigh, slotOf, st } from "./state";

const LIMIT: u32 = 1 << 21;


describe("generation limit", (): void => {
  it("cycles slot 0 through generations 0 .. 2^21-1 via soon/tick/tick, then retires it", (): void => {
    let wrong = 0;
    let firstWrong: i32 = -1;
    let last: f64 = -1;
    for (let g: u32 = 0; g < LIMIT; g++) {
      const id = soon();
      if (id != <f64>g * SPAN) {
        wrong++;
        if (firstWrong < 0) firstWrong = <i32>g;
      }
      tick(0);
      tick(0);
      last = id;
    }
    expect(firstWrong).toBe(-1);
    expect(wrong).toBe(0);
    expect(last).toBe(<f64>(LIMIT - 1) * SPAN); // the largest id slot 0 can have, < 2^53
    expect(liveCount()).toBe(0);
    expect(slotHigh()).toBe(1);
    expect(isPending(last)).toBe(0);
    expect(cancel(last)).toBe(0);

    // slot 0 is retired: the next handle takes a fresh slot
    const next = soon();
    expect(next).toBe(1.0);
    expect(slotHigh()).toBe(2);
    tick(0);
    tick(0);
    expect(soon()).toBe(SPAN + 1.0); // slot 1 reused, slot 0 still not
    expect(soon()).toBe(2.0);
    tick(0);
    tick(0);
    expect(liveCount()).toBe(0);
  });

  it("keeps a retired slot out after reset()", (): void => {
    reset();
    const high = slotHigh();
    expect(high).toBe(3);
    // reset rebuilds the free list from every slot except the retired one
    const a = soon();
    const b = soon();
    const c = soon();
    expect(slotOf(a)).toBe(1);
    expect(slotOf(b)).toBe(2);
    expect(slotOf(c)).toBe(3); // fresh: slot 0 was skipped
    expect(slotHigh()).toBe(4);
    tick(0);
    tick(0);
  });

  it("retires a slot whose generation hits the limit when cancel() frees it", (): void => {
    reset(); // free list: 1, 2, 3
    let id = at(1); // slot 1
    expect(slotOf(id)).toBe(1);
    let gen = <u32>(<u64>id >>> 32);
    let wrong = 0;
    while (gen < LIMIT - 1) {
      if (cancel(id) != 1) wrong++;
      const next = at(1);
      if (next != id + SPAN) wrong++;
      id = next;
      gen++;
    }
    expect(wrong).toBe(0);
    expect(id).toBe(<f64>(LIMIT - 1) * SPAN + 1.0);
    expect(cancel(id)).toBe(1); // frees slot 1 at generation 2^21: retired
    expect(cancel(id)).toBe(0);
    expect(slotOf(at(1))).toBe(2);
    expect(slotOf(at(1))).toBe(3);
    expect(slotOf(at(1))).toBe(4); // fresh, slot 1 skipped
  });

  it("retires a live slot at generation 2^21-1 when reset() drops it", (): void => {
    reset(); // free list: 2, 3, 4
    let id = soon(); // slot 2
    expect(slotOf(id)).toBe(2);
    let gen = <u32>(<u64>id >>> 32);
    while (gen < LIMIT - 1) {
      tick(0);
      tick(0);
      id = soon();
      gen++;
    }
    expect(id).toBe(<f64>(LIMIT - 1) * SPAN + 2.0);
    expect(isPending(id)).toBe(1);
    reset(); // drops it: generation 2^21, retired
    expect(isPending(id)).toBe(0);
    const ids = [soon(), soon(), soon()];
    expect(slotOf(ids[0])).toBe(3);
    expect(slotOf(ids[1])).toBe(4);
    expect(slotOf(ids[2])).toBe(5); // 0, 1, 2 all retired
    // many more handles: none of them lands on a retired slot
    let retiredHit = 0;
    for (let i = 0; i < 1000; i++) {
      const s = slotOf(soon());
      if (s <= 2) retiredHit++;
    }
    expect(retiredHit).toBe(0);
    expect(liveCount()).toBe(1003);
  });
});

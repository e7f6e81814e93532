// The Wasm core and the pure-TS reference core must agree op for op: the same ids, the same
// batches in the same order, the same counts, deadlines, checksums and random draws. fast-check
// drives both with random operation sequences; any divergence is shrunk to a minimal case.

import { describe, expect, it } from "vitest";
import fc from "fast-check";
import "../../src/index.ts"; // instantiates the inlined Wasm core
import { createWasmCore } from "../../src/core/wasm.ts";
import { ReferenceCore } from "../../src/core/reference.ts";
import type { SchedulerCore } from "../../src/core/types.ts";

type Op =
  | { kind: "soon" }
  | { kind: "at"; when: number }
  | { kind: "cancel"; pick: number }
  | { kind: "cancelStale"; pick: number }
  | { kind: "tick"; advance: number }
  | { kind: "release" }
  | { kind: "checksum"; on: boolean }
  | { kind: "random" }
  | { kind: "reset" };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.constant({ kind: "soon" as const }) },
  {
    weight: 5,
    arbitrary: fc
      .oneof(fc.integer({ min: 0, max: 50 }).map((n) => n / 10), fc.constantFrom(Infinity, -Infinity, 0, 2.5))
      .map((when) => ({ kind: "at" as const, when })),
  },
  { weight: 3, arbitrary: fc.nat().map((pick) => ({ kind: "cancel" as const, pick })) },
  { weight: 1, arbitrary: fc.nat().map((pick) => ({ kind: "cancelStale" as const, pick })) },
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 20 }).map((n) => ({ kind: "tick" as const, advance: n / 10 })) },
  { weight: 1, arbitrary: fc.constant({ kind: "release" as const }) },
  { weight: 1, arbitrary: fc.boolean().map((on) => ({ kind: "checksum" as const, on })) },
  { weight: 1, arbitrary: fc.constant({ kind: "random" as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: "reset" as const }) },
);

/** Apply `ops` to `core`, returning everything observable, in order. */
function trace(core: SchedulerCore, ops: Op[], seed: number, draws: boolean): unknown[] {
  core.seed(seed >>> 0, 0);
  core.setChecksum(1);
  const out: unknown[] = [];
  const live: number[] = [];
  const dead: number[] = [];
  let now = 0;
  for (const o of ops) {
    switch (o.kind) {
      case "soon":
        live.push(core.soon());
        out.push(["soon", live[live.length - 1]]);
        break;
      case "at":
        live.push(core.at(o.when));
        out.push(["at", live[live.length - 1], core.nextDeadline()]);
        break;
      case "cancel": {
        if (live.length === 0) break;
        const [id] = live.splice(o.pick % live.length, 1);
        dead.push(id);
        out.push(["cancel", id, core.cancel(id), core.timerLen(), core.nextDeadline()]);
        break;
      }
      case "cancelStale": {
        if (dead.length === 0) break;
        const id = dead[o.pick % dead.length];
        out.push(["stale", id, core.cancel(id), core.isPending(id)]);
        break;
      }
      case "tick": {
        now += o.advance;
        const n = core.tick(now);
        const batch = Array.from(core.batch().subarray(0, n));
        // the host's random schedule draws nextU32() per batch: both cores must give the same
        if (draws) batch.push(core.nextU32());
        out.push(["tick", n, batch, core.readyLen(), core.timerLen(), core.liveCount(), core.nextDeadline(), core.checksum()]);
        break;
      }
      case "checksum":
        core.setChecksum(o.on ? 1 : 0);
        break;
      case "release":
        core.release();
        out.push(["release", core.liveCount()]);
        break;
      case "random":
        out.push(["random", core.random()]);
        break;
      case "reset":
        core.reset();
        for (const id of live.splice(0)) dead.push(id);
        out.push(["reset", core.liveCount(), core.timerLen(), core.readyLen()]);
        break;
    }
  }
  return out;
}

describe("core parity: Wasm core vs reference core", () => {
  it("agree on random operation sequences (FIFO schedule)", () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300 }), fc.nat(), (ops, seed) => {
        expect(trace(createWasmCore(), ops, seed, false)).toEqual(trace(new ReferenceCore(), ops, seed, false));
      }),
      { numRuns: 300 },
    );
  });

  it("agree on random operation sequences, with the generator drawn at every tick (random schedules)", () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300 }), fc.nat(), (ops, seed) => {
        expect(trace(createWasmCore(), ops, seed, true)).toEqual(trace(new ReferenceCore(), ops, seed, true));
      }),
      { numRuns: 200 },
    );
  });

  it("agree through growth: 5,000 mixed operations per run, past every initial capacity", () => {
    fc.assert(
      fc.property(fc.array(op, { minLength: 3000, maxLength: 5000 }), fc.nat(), (ops, seed) => {
        expect(trace(createWasmCore(), ops, seed, false)).toEqual(trace(new ReferenceCore(), ops, seed, false));
      }),
      { numRuns: 10 },
    );
  });

  it("a stale id never touches a reused slot (both cores)", () => {
    for (const core of [createWasmCore(), new ReferenceCore()]) {
      const a = core.soon();
      expect(core.tick(0)).toBe(1);
      expect(core.tick(0)).toBe(0); // a's slot is recycled here
      const b = core.soon();
      expect(b % 2 ** 32).toBe(a % 2 ** 32); // same slot…
      expect(b).not.toBe(a); // …new generation
      expect(core.cancel(a)).toBe(0);
      expect(core.isPending(b)).toBe(1);
      expect(core.tick(0)).toBe(1);
      expect(Array.from(core.batch().subarray(0, 1))).toEqual([b % 2 ** 32]);
    }
  });
});

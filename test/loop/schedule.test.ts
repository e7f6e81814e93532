// Schedules and the choice tape (loop/schedule.ts): random and PCT are deterministic per seed,
// every choice lands on the tape, a tape replays its run, FIFO is the all-zero tape.

import { describe, expect, it } from "vitest";
import { Tape, ValueError, createTask, gather, getRunningLoop, newEventLoop, runSync, sleep } from "../../src/index.ts";
import { CORES } from "../helpers.ts";

/** Three workers racing through four steps each: the log is the interleaving. */
function* racers(log: string[]) {
  const worker = function* (name: string) {
    for (let i = 0; i < 4; i++) {
      log.push(`${name}${i}`);
      yield* sleep(0);
    }
  };
  yield* gather(worker("a"), worker("b"), worker("c"));
  log.push(`r=${getRunningLoop().random().toFixed(6)}`);
  return getRunningLoop().tape();
}

function runRacers(options: Parameters<typeof runSync>[1]) {
  const log: string[] = [];
  const tape = runSync(racers(log), options);
  return { log, tape };
}

describe.each(CORES)("%s core", (core) => {
  it("random: the known-answer permutation for seed 42 and 10 handles (unchanged since the core shuffled)", async () => {
    const loop = newEventLoop({ core, clock: "virtual", seed: 42, schedule: "random" });
    const order: number[] = [];
    for (let k = 0; k < 10; k++) {
      loop.callSoon(() => {
        order.push(k);
        if (order.length === 10) loop.stop();
      });
    }
    await loop.runForever();
    loop.close();
    // the order the core's own shuffle gave for seed(42, 0) (its as-pect known answer)
    expect(order).toEqual([6, 2, 7, 8, 1, 3, 4, 5, 9, 0]);
  });

  it.each(["random", "pct"] as const)("%s: the same seed gives the same run, bit for bit; another seed another run", (schedule) => {
    const a = runRacers({ core, seed: 11, schedule });
    const b = runRacers({ core, seed: 11, schedule });
    expect(b.log).toEqual(a.log);
    expect(b.tape.choices).toEqual(a.tape.choices);
    const others = [12, 13, 14, 15, 16].map((seed) => runRacers({ core, seed, schedule }).log.join(" "));
    expect(others.some((l) => l !== a.log.join(" "))).toBe(true);
  });

  it.each(["random", "pct"] as const)("%s: replaying the run's tape reproduces it exactly", (schedule) => {
    const first = runRacers({ core, seed: 99, schedule });
    expect(first.tape.deviations()).toBeGreaterThan(0);
    const again = runRacers({ core, schedule: first.tape });
    expect(again.log).toEqual(first.log);
    expect(again.tape.choices).toEqual(first.tape.choices);
    // the tape survives JSON
    const parsed = Tape.from(JSON.stringify(first.tape));
    expect(runRacers({ core, schedule: parsed }).log).toEqual(first.log);
  });

  it("FIFO is the tape of all-zero choices (and an exhausted tape continues as FIFO)", () => {
    const fifo = runRacers({ core });
    expect(fifo.tape.choices).toEqual([]);
    const zeros = runRacers({ core, schedule: new Tape([0, 0, 0]) });
    expect(zeros.log.slice(0, -1)).toEqual(fifo.log.slice(0, -1)); // random() draws differ: zeros vs the seeded generator
    expect(zeros.log.at(-1)).toBe("r=0.000000");
    expect(zeros.tape.deviations()).toBe(0);
  });

  it("one deviation from FIFO moves exactly one handle", () => {
    const fifo = runRacers({ core }).log;
    // the first batch with 3 tasks: choices for i=2 then i=1; choose 2 at i=2 swaps a and c
    const swapped = runRacers({ core, schedule: [2] }).log;
    expect(swapped).not.toEqual(fifo);
    expect(swapped.slice(0, 3)).toEqual(["c0", "b0", "a0"]);
  });

  it("a tape choice out of range is a ValueError naming the entry", () => {
    expect(() => runRacers({ core, schedule: [0, 5] })).toThrow(ValueError);
    expect(() => runRacers({ core, schedule: [0, 5] })).toThrow(/entry 1 is 5, but it chooses among 2 ready handles/);
    expect(() => new Tape([1, -1])).toThrow(/entry 1 must be an integer/);
    expect(() => Tape.from({ version: 99, choices: [] })).toThrow(/version 99 is not supported/);
    expect(() => newEventLoop({ schedule: "sometimes" as never })).toThrow(/schedule must be 'fifo', 'random', 'pct' or a Tape/);
    expect(() => newEventLoop({ schedule: "pct", pctDepth: 0 })).toThrow(/pctDepth must be a positive integer/);
  });

  it("pct finds an ordering that needs one task to run last (a depth-2 bug) within a few seeds", () => {
    // the bug: 'late' must write before both readers, i.e. the readers must not run first
    const buggy = (seed: number) => {
      const seen: string[] = [];
      runSync(function* () {
        let value = "unset";
        const r1 = createTask((function* () { yield* sleep(0); seen.push(value); })());
        const r2 = createTask((function* () { yield* sleep(0); seen.push(value); })());
        const w = createTask((function* () { yield* sleep(0); value = "set"; })());
        yield* gather(r1, r2, w);
      }, { core, seed, schedule: "pct", pctDepth: 2 });
      return seen.join(",") === "set,set";
    };
    const found = Array.from({ length: 50 }, (_, s) => buggy(s)).filter(Boolean).length;
    expect(found).toBeGreaterThan(0);
    expect(found).toBeLessThan(50);
  });
});

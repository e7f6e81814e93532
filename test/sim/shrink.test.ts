// shrink and explainSchedule (sim/shrink.ts): a failing tape cut down to the fewest, smallest
// deviations from FIFO that still fail the same way, and said in words — which task ran before
// which, in which iteration, at which yield* (function, file, line). The racy bank of
// examples/bank/ must come down to ONE deviation: bob's balance check before alice takes hers.

import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it, vi } from "vitest";
vi.mock("wasyncio", () => import("../../src/index.ts"));
import {
  Tape,
  ValueError,
  createTask,
  explainSchedule,
  explore,
  gather,
  getRunningLoop,
  runSync,
  sameFailure,
  shrink,
  sleep,
} from "../../src/index.ts";
import bank, { OverdraftError } from "../../examples/bank/bank.mjs";
import { CORES } from "../helpers.ts";

const bankSource = readFileSync(fileURLToPath(new URL("../../examples/bank/bank.mjs", import.meta.url)), "utf8").split("\n");
/** The 1-based line of the first source line matching `re` (after `after`). */
const lineOf = (re: RegExp, after = 0) => bankSource.findIndex((l, k) => k >= after && re.test(l)) + 1;
const SIGN_IN_SLEEP = lineOf(/yield\* sleep\(0\)/, lineOf(/^function\* signIn/));
const FRAUD_SLEEP = lineOf(/yield\* sleep\(0\)/, lineOf(/^function\* fraudCheck/));
const WITHDRAW_AWAIT = lineOf(/yield\* fraudCheck/);

describe.each(CORES)("%s core", (core) => {
  it.each(["random", "pct"] as const)("the bank's %s failures shrink to ONE deviation from FIFO, which still fails", (schedule) => {
    const { failures } = explore(bank, { seeds: 300, schedule, core });
    // the first few failing seeds, whatever their tapes
    for (const f of failures.slice(0, 5)) {
      const minimal = shrink(bank, f.tape, { core });
      expect(minimal).toBeInstanceOf(Tape);
      expect(minimal.deviations()).toBe(1);
      expect(minimal.choices.at(-1)).not.toBe(0); // trailing zeros trimmed
      expect(minimal.choices.length).toBeLessThanOrEqual(f.tape.choices.length);
      expect(() => runSync(bank, { core, schedule: minimal })).toThrow(OverdraftError);
    }
  });

  it("explainSchedule says which task ran before which, where each waited, and where its step stopped", () => {
    const { failures } = explore(bank, { seeds: 50, core });
    const minimal = shrink(bank, failures[0].tape, { core });
    const report = explainSchedule(bank, minimal, { core });
    expect(report.failed).toBe(true);
    expect(report.error).toBeInstanceOf(OverdraftError);
    expect(report.deviations).toHaveLength(1);
    const d = report.deviations[0];
    // the race itself: bob's check runs while alice waits between her check and her act
    expect(d.iteration).toBe(3);
    expect(d.moved).toBe("Task 'bob'");
    expect(d.instead).toBe("Task 'alice'");
    expect(d.fifo).toEqual(["Task 'alice'", "Task 'bob'", "Task 'statement'"]);
    expect(d.ran).toEqual(["Task 'bob'", "Task 'alice'", "Task 'statement'"]);
    expect(d.entries).toEqual([[minimal.choices.length - 1, 1]]);
    expect(d.movedWasAt?.awaited).toBe("sleep(0)");
    expect(d.movedWasAt?.frames.map((f) => `${f.fn}:${f.line}`)).toEqual([`signIn:${SIGN_IN_SLEEP}`, `bobSession:${SIGN_IN_SLEEP + 4}`]);
    expect(d.insteadWasAt?.frames.slice(0, 2).map((f) => `${f.fn}:${f.line}`)).toEqual([`fraudCheck:${FRAUD_SLEEP}`, `withdraw:${WITHDRAW_AWAIT}`]);
    expect(d.movedRanTo).not.toBe("done");
    expect((d.movedRanTo as { frames: { fn: string }[] }).frames.map((f) => f.fn)).toEqual(["fraudCheck", "withdraw", "bobSession"]);
    expect(d.insteadRanTo).toBe("done");
    expect([d.movedIsTask, d.insteadIsTask]).toEqual([true, true]);

    const text = report.toString();
    expect(text.split("\n")[0]).toBe(`1 deviation from FIFO (tape: ${JSON.stringify(minimal.choices)})`);
    expect(text).toContain("iteration 3: Task 'bob' ran before Task 'alice'");
    expect(text).toContain(`Task 'bob' resumed at yield* sleep(0)`);
    expect(text).toContain(`at signIn (examples/bank/bank.mjs:${SIGN_IN_SLEEP}:`);
    expect(text).toContain(`at withdraw (examples/bank/bank.mjs:${WITHDRAW_AWAIT}:`);
    expect(text).toContain("and ran to its end");
    expect(text.split("\n").at(-1)).toBe("  then: OverdraftError: account overdrawn: balance is -20 after two withdrawals of 60");
    // paths relative to the cwd given
    expect(report.toString("/nowhere")).toMatch(/at signIn \(\/.*examples\/bank\/bank\.mjs:\d+:\d+\)/);
  });
});

it("FIFO's tape explains as no deviation, and the run passes", () => {
  const report = explainSchedule(bank, []);
  expect(report.failed).toBe(false);
  expect(report.deviations).toEqual([]);
  expect(report.toString()).toBe("0 deviations from FIFO (tape: [])\n  then: the run ended without error");
});

it("a scenario that fails in FIFO shrinks to the empty tape", () => {
  const broken = function* () {
    yield* gather(sleep(0), sleep(0));
    throw new RangeError("always");
  };
  const r = explore(broken, { seeds: 3 });
  expect(r.failures).toHaveLength(3);
  expect(shrink(broken, r.failures[0].tape).choices).toEqual([]);
});

it("several deviations that are all needed are all kept (1-minimal), each as small as it can be", () => {
  // fails only when c runs before a in iteration 2 AND before b in iteration 3
  const needsTwo = function* () {
    const seen: string[] = [];
    const step = (name: string) =>
      createTask((function* () {
        seen.push(`${name}1`);
        yield* sleep(0);
        seen.push(`${name}2`);
      })(), { name });
    yield* gather(step("a"), step("b"), step("c"));
    const i = seen.indexOf.bind(seen);
    if (i("c1") < i("a1") && i("c2") < i("b2")) throw new RangeError("c overtook twice");
  };
  const { failures } = explore(needsTwo, { seeds: 200 });
  expect(failures.length).toBeGreaterThan(0);
  for (const f of failures.slice(0, 5)) {
    const minimal = shrink(needsTwo, f.tape);
    expect(() => runSync(needsTwo, { schedule: minimal })).toThrow(RangeError);
    // no single deviation can go
    for (let k = 0; k < minimal.choices.length; k++) {
      if (minimal.choices[k] === 0) continue;
      const fewer = [...minimal.choices];
      fewer[k] = 0;
      let failed = false;
      try {
        runSync(needsTwo, { schedule: fewer });
      } catch (exc) {
        failed = exc instanceof RangeError;
      }
      expect(failed, `tape ${JSON.stringify(fewer)}`).toBe(false);
    }
    expect(minimal.deviations()).toBeGreaterThanOrEqual(1);
    expect(minimal.deviations()).toBeLessThanOrEqual(2);
  }
});

it("callbacks that run out of order are named, with no task wait to show", () => {
  const callbacks = function* () {
    const loop = getRunningLoop();
    const log: string[] = [];
    const fut = loop.createFuture();
    loop.callSoon(function first() { log.push("first"); });
    loop.callSoon(function second() { log.push("second"); fut.setResult(null); });
    yield* fut;
    if (log[0] !== "first") throw new RangeError("second ran first");
  };
  const { failures } = explore(callbacks, { seeds: 20 });
  const report = explainSchedule(callbacks, shrink(callbacks, failures[0].tape));
  expect(report.deviations).toHaveLength(1);
  expect(report.deviations[0]).toMatchObject({ iteration: 2, moved: "callback second()", instead: "callback first()", movedIsTask: false, insteadIsTask: false });
  expect(report.toString()).toBe(
    "1 deviation from FIFO (tape: [1])\n  iteration 2: callback second() ran before callback first() (FIFO runs callback first() first)\n  then: RangeError: second ran first",
  );
});

it("a loop.random() draw is a deviation too, reported as such", () => {
  const dice = function* () {
    yield* sleep(0);
    if (getRunningLoop().random() >= 0.5) throw new RangeError("rolled high");
  };
  const { failures } = explore(dice, { seeds: 50 });
  expect(failures.length).toBeGreaterThan(0);
  const minimal = shrink(dice, failures[0].tape);
  expect(minimal.deviations()).toBe(1); // the high word of the draw; the low one zeroed
  expect(() => runSync(dice, { schedule: minimal })).toThrow(RangeError);
  const report = explainSchedule(dice, minimal);
  expect(report.deviations).toEqual([]);
  expect(report.randomDeviations).toEqual([{ entries: [[0, minimal.choices[0]]], draw: 1 }]);
  expect(report.toString()).toContain("loop.random() draw 1 changed (tape entries 0)");
});

it("the same failure means the same class and message shape; sameFailure can be replaced", () => {
  expect(sameFailure(new RangeError("balance -20 after 2"), new RangeError("balance -40 after 3"))).toBe(true);
  expect(sameFailure(new RangeError("balance -20"), new TypeError("balance -20"))).toBe(false);
  expect(sameFailure(new RangeError("alice overdrew"), new RangeError("bob overdrew"))).toBe(false);
  expect(sameFailure("a string", "another")).toBe(true);
  expect(sameFailure(new Error("x"), "x")).toBe(false);
  // a scenario whose messages name who won: the default keeps the name, a custom match ignores it
  const race = function* () {
    const log: string[] = [];
    const who = (name: string) => createTask((function* () { yield* sleep(0); log.push(name); })(), { name });
    yield* gather(who("x"), who("y"), who("z"));
    if (log[0] !== "x") throw new RangeError(`${log[0]} went first`);
  };
  const { failures } = explore(race, { seeds: 100 });
  const f = failures.find((x) => String(x.error) === "RangeError: z went first")!;
  expect(f).toBeDefined();
  const keep = shrink(race, f.tape);
  expect(() => runSync(race, { schedule: keep })).toThrow("z went first");
  const any = shrink(race, f.tape, { sameFailure: (e) => e instanceof RangeError });
  expect(any.deviations()).toBe(1);
  expect(() => runSync(race, { schedule: any })).toThrow(RangeError);
});

it("maxRuns bounds the replays; the tape returned still fails; onProgress sees each replay", () => {
  const { failures } = explore(bank, { seeds: 30 });
  const seen: number[] = [];
  const tape = shrink(bank, failures[0].tape, { maxRuns: 3, onProgress: (runs) => seen.push(runs) });
  expect(seen).toEqual([2, 3]);
  expect(() => runSync(bank, { schedule: tape })).toThrow(OverdraftError);
});

it("a schedule that never ends is not the failure: shrinking skips it (the step limit)", () => {
  // fails when b runs before a; spins forever when c runs before both
  const picky = function* () {
    const order: string[] = [];
    const a = createTask((function* () { yield* sleep(0); order.push("a"); })(), { name: "a" });
    const b = createTask((function* () { yield* sleep(0); order.push("b"); })(), { name: "b" });
    const c = createTask((function* () {
      yield* sleep(0);
      if (order.length === 0) for (;;) yield* sleep(0);
    })(), { name: "c" });
    yield* gather(a, b, c);
    if (order[0] === "b") throw new RangeError("b first");
  };
  const { failures } = explore(picky, { seeds: 100, maxIterations: 200 });
  expect(failures.some((f) => f.error instanceof RangeError)).toBe(true);
  expect(failures.some((f) => (f.error as Error).name === "StepLimitError")).toBe(true);
  const f = failures.find((x) => x.error instanceof RangeError)!;
  const minimal = shrink(picky, f.tape, { maxIterations: 200 });
  expect(minimal.deviations()).toBe(1);
  expect(() => runSync(picky, { schedule: minimal })).toThrow("b first");
  const explained = explainSchedule(picky, minimal);
  expect(explained.deviations[0].moved).toBe("Task 'b'");
});

describe("bad input", () => {
  it("a tape that does not make the scenario fail is a ValueError", () => {
    expect(() => shrink(bank, [])).toThrow(ValueError);
    expect(() => shrink(bank, [])).toThrow(/the tape does not make the scenario fail \(its replay ended without error\)/);
  });

  it("a tape that does not fit the scenario is a ValueError naming the entry", () => {
    expect(() => shrink(bank, [0, 9])).toThrow(/shrink\(tape\): the tape does not fit this scenario: schedule tape: entry 1 is 9/);
    expect(() => shrink(bank, [-1])).toThrow(/shrink\(tape\): Tape\(choices\): entry 0 must be an integer/);
    expect(() => shrink(bank, 5 as never)).toThrow(TypeError);
    expect(() => shrink(bank, 5 as never)).toThrow(/shrink\(tape\): tape must be a Tape, its JSON, or an array of choices, got 5/);
    expect(() => explainSchedule(bank, "nope" as never)).toThrow(/explainSchedule\(tape\): Tape.from\(text\): not JSON/);
  });

  it("bad scenario and options", () => {
    expect(() => shrink(null as never, [1])).toThrow(/shrink\(scenario\): scenario must be a generator function/);
    expect(() => shrink(bank, [1], { maxRuns: 0 })).toThrow(/maxRuns must be a positive number, got 0/);
    expect(() => shrink(bank, [1], { core: "x" as never })).toThrow(/core must be 'wasm' or 'js'/);
    expect(() => shrink(bank, [1], { sameFailure: 1 as never })).toThrow(/sameFailure must be a function/);
    expect(() => shrink(bank, [1], null as never)).toThrow(/options must be an object, got null/);
  });
});

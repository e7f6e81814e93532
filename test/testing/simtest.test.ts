// wasyncio/testing (src/testing.ts): simTest is a vitest test that explores a scenario under the
// random and PCT schedules and, on a failure, fails with the seed, the schedule, the shrunk
// schedule in words, the tape's file and the command that replays it. Here: simTest itself on
// passing scenarios, simCheck's failure message on the racy bank, the replay mode, bad input,
// and a child vitest that runs a failing simTest as a user's test file would.

import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it, vi } from "vitest";
vi.mock("wasyncio", () => import("../../src/index.ts"));
import { Tape, ValueError, createTask, gather, sleep } from "../../src/index.ts";
import { SimulationFailure, simCheck, simTest } from "../../src/testing.ts";
import bank, { OverdraftError } from "../../examples/bank/bank.mjs";
import { safeBank } from "../cli/fixtures/safe.mjs";

const root = fileURLToPath(new URL("../..", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "wasyncio-simtest-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// simTest as users write it: these are tests of their own, and must pass
simTest("the locked bank never overdraws (simTest, 300 seeds per schedule)", { seeds: 300, dir }, safeBank);
simTest("a scenario with no race passes with the defaults (1,000 seeds × random and pct)", function* () {
  const results = yield* gather(sleep(0, 1), sleep(0, 2));
  if (results[0] + results[1] !== 3) throw new Error("gather lost a result");
});

/** simCheck's failure, caught. */
function failureOf(fn: () => void): SimulationFailure {
  try {
    fn();
  } catch (exc) {
    if (exc instanceof SimulationFailure) return exc;
    throw exc;
  }
  throw new Error("simCheck did not fail");
}

describe("simCheck on the racy bank", () => {
  it("fails with the seed, the schedule, the shrunk schedule in words, the tape file and the replay command", () => {
    const f = failureOf(() => simCheck("bank never overdraws", bank, { seeds: 200, dir }));
    const lines = f.message.split("\n");
    expect(lines[0]).toMatch(/^simTest "bank never overdraws": seed (\d+) under random fails: OverdraftError: account overdrawn: balance is -20 after two withdrawals of 60$/);
    expect(lines[1]).toBe("(the first failing seed of 200 under random)");
    expect(f.message).toContain("shrunk to 1 deviation from FIFO:\n1 deviation from FIFO (tape: [");
    expect(f.message).toContain("  iteration 3: Task 'bob' ran before Task 'alice'");
    expect(f.message).toMatch(/at signIn \(examples\/bank\/bank\.mjs:\d+:\d+\)/);
    expect(f.seed).toBe(Number(/seed (\d+)/.exec(lines[0])![1]));
    expect(f.schedule).toBe("random");
    expect(f.error).toBeInstanceOf(OverdraftError);
    expect(f.tape).toBeInstanceOf(Tape);
    expect(f.tape!.deviations()).toBe(1);
    expect(f.tapeFile).toBe(join(dir, `bank-never-overdraws-random-seed${f.seed}.tape.json`));
    const written = JSON.parse(readFileSync(f.tapeFile!, "utf8"));
    expect(written).toMatchObject({ version: 1, choices: f.tape!.choices, test: "bank never overdraws", seed: f.seed, schedule: "random", core: "wasm" });
    expect(written.file).toBe(join(root, "test/testing/simtest.test.ts"));
    expect(lines.at(-2)).toBe(`tape: ${f.tapeFile}`);
    expect(lines.at(-1)).toBe(`replay: WASYNCIO_REPLAY=${f.tapeFile} npx vitest run test/testing/simtest.test.ts -t 'bank never overdraws'`);
  });

  it("schedules: ['pct'] explores PCT only", () => {
    const f = failureOf(() => simCheck("bank pct", bank, { seeds: 100, schedules: ["pct"], pctDepth: 2, dir, core: "js" }));
    expect(f.schedule).toBe("pct");
    expect(f.message.split("\n")[0]).toMatch(/seed \d+ under pct fails/);
    expect(JSON.parse(readFileSync(f.tapeFile!, "utf8"))).toMatchObject({ schedule: "pct", pctDepth: 2, core: "js" });
  });

  it("WASYNCIO_REPLAY runs the one tape of that test and explains it; another test's tape is ignored", () => {
    const f = failureOf(() => simCheck("bank replayed", bank, { seeds: 100, dir }));
    vi.stubEnv("WASYNCIO_REPLAY", f.tapeFile!);
    try {
      const again = failureOf(() => simCheck("bank replayed", bank, { seeds: 100, dir }));
      expect(again.message.split("\n")[0]).toBe(`simTest "bank replayed": the tape ${f.tapeFile} fails: OverdraftError: account overdrawn: balance is -20 after two withdrawals of 60`);
      expect(again.message).toContain("iteration 3: Task 'bob' ran before Task 'alice'");
      expect(again.tape!.choices).toEqual(f.tape!.choices);
      // the tape names its test: a different simTest explores as usual (and this one passes)
      expect(() => simCheck("the locked bank", safeBank, { seeds: 50 })).not.toThrow();
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it("a scenario that does not replay fails as such", () => {
    let runs = 0;
    const leaky = function* () {
      runs++;
      const t = createTask((function* () { yield* sleep(runs % 2); })());
      yield* t;
    };
    const f = failureOf(() => simCheck("leaky", leaky, { seeds: 5 }));
    expect(f.message).toMatch(/^simTest "leaky": the scenario does not replay, so its failures could not be reproduced:\ntwo runs of seed 0 \(random\) differ from iteration \d+/);
  });
});

describe("bad input is refused when the test is declared", () => {
  it.each([
    [() => simTest("", bank), TypeError, /simTest\(name, …\): name must be a non-empty string, got ""/],
    [() => simTest("x", {}, undefined as never), TypeError, /scenario must be a generator function \(function\*\), got undefined/],
    [() => simTest("x", { seeds: 0 }, bank), ValueError, /simTest\(options\): seeds must be a positive count or a non-empty array of seeds, got 0/],
    [() => simTest("x", { schedules: ["fifo" as never] }, bank), ValueError, /schedules must be a non-empty array of 'random' and 'pct'/],
    [() => simTest("x", { schedules: [] }, bank), ValueError, /schedules must be a non-empty array/],
    [() => simTest("x", { timeout: -5 }, bank), ValueError, /timeout must be a positive number of milliseconds, got -5/],
    [() => simTest("x", { pctDepth: 1.5 }, bank), ValueError, /pctDepth must be a positive integer/],
    [() => simTest("x", { core: "c" as never }, bank), ValueError, /core must be 'wasm' or 'js'/],
    [() => simTest("x", null as never, bank), TypeError, /options must be an object, got null/],
  ])("%#", (call, cls, message) => {
    expect(call).toThrow(cls);
    expect(call).toThrow(message);
  });
});

describe("in a child vitest, as a user's test file", { timeout: 120_000 }, () => {
  const vitest = join(root, "node_modules", "vitest", "vitest.mjs");
  const config = join(root, "test", "testing", "fixtures", "vitest.config.ts");
  const childDir = mkdtempSync(join(tmpdir(), "wasyncio-simtest-child-"));
  afterAll(() => rmSync(childDir, { recursive: true, force: true }));
  const runChild = (env: Record<string, string> = {}) => {
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("VITEST") && k !== "NODE_ENV" && k !== "TEST"));
    try {
      const out = execFileSync(process.execPath, [vitest, "run", "--config", config, "--reporter", "verbose", "--no-color"], {
        cwd: root,
        env: { ...clean, SIM_DIR: childDir, NO_COLOR: "1", ...env },
        encoding: "utf8",
        stdio: "pipe",
        timeout: 100_000,
      });
      return { code: 0, out };
    } catch (exc) {
      const e = exc as { status: number; stdout: string; stderr: string };
      return { code: e.status, out: e.stdout + e.stderr };
    }
  };

  it("the failing simTest fails with the message; the passing one passes; the replay command replays it", () => {
    const first = runChild();
    expect(first.code).toBe(1);
    expect(first.out).toMatch(/✓ .*the locked bank never overdraws/);
    expect(first.out).toMatch(/× .*bank never overdraws/);
    expect(first.out).toMatch(/SimulationFailure: simTest "bank never overdraws": seed \d+ under random fails: OverdraftError: account overdrawn/);
    expect(first.out).toContain("shrunk to 1 deviation from FIFO:");
    expect(first.out).toContain("iteration 3: Task 'bob' ran before Task 'alice'");
    const replay = /replay: WASYNCIO_REPLAY=(\S+) npx vitest run test\/testing\/fixtures\/racy\.fixture\.ts -t 'bank never overdraws'/.exec(first.out);
    expect(replay).not.toBeNull();
    const tapeFile = replay![1];
    expect(existsSync(tapeFile)).toBe(true);
    const again = runChild({ WASYNCIO_REPLAY: tapeFile });
    expect(again.code).toBe(1);
    expect(again.out).toContain(`simTest "bank never overdraws": the tape ${tapeFile} fails: OverdraftError`);
    expect(again.out).toMatch(/✓ .*the locked bank never overdraws/);
  });
});

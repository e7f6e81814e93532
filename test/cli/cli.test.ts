// The CLI's commands in this process (src/cli/main.ts): explore a scenario module, write its
// first failure's tape and trace, shrink a tape (or the trace) and explain it, and every usage
// error with exit code 2. The modules under test import "wasyncio", which is this checkout's
// source here, so the CLI and the scenarios share one wasyncio. bin.test.ts runs the built
// dist/cli.mjs as a user does (worker threads included).

import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it, vi } from "vitest";
vi.mock("wasyncio", () => import("../../src/index.ts"));
import { Trace, explore } from "../../src/index.ts";
import bank from "../../examples/bank/bank.mjs";
import { USAGE, main } from "../../src/cli/main.ts";
import type { Io } from "../../src/cli/common.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));
const work = mkdtempSync(join(tmpdir(), "wasyncio-cli-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Run the CLI with output captured. */
async function cli(args: string[], options: { tty?: boolean; cwd?: string } = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const status: string[] = [];
  const io: Io = {
    out: (s) => out.push(...s.split("\n")),
    err: (s) => err.push(...s.split("\n")),
    status: (s) => status.push(s),
    isTTY: options.tty ?? false,
    cwd: options.cwd ?? root,
    workerUrl: null,
  };
  const code = await main(args, io);
  return { code, out, err, status, stdout: out.join("\n"), stderr: err.join("\n") };
}

const BANK = "examples/bank/bank.mjs";
const fixture = (name: string) => `test/cli/fixtures/${name}`;

describe("help and usage", () => {
  it("--help, help COMMAND and COMMAND --help print usage and exit 0", async () => {
    const top = await cli(["--help"]);
    expect(top.code).toBe(0);
    expect(top.stdout).toBe(USAGE);
    expect(top.stdout).toMatch(/explore FILE --seeds N/);
    for (const cmd of ["explore", "shrink"]) {
      const a = await cli([cmd, "--help"]);
      expect(a.code).toBe(0);
      expect(a.out[0]).toMatch(new RegExp(`^usage: wasyncio ${cmd} `));
      expect(a.stdout).toMatch(/exit codes: 0 /);
      expect((await cli(["help", cmd])).stdout).toBe(a.stdout);
      expect((await cli([cmd, "-h"])).stdout).toBe(a.stdout);
    }
  });

  it("no command, or an unknown one: usage on stderr, exit 2", async () => {
    const none = await cli([]);
    expect(none.code).toBe(2);
    expect(none.stderr).toBe(USAGE);
    const bad = await cli(["exlpore"]);
    expect(bad.code).toBe(2);
    expect(bad.err[0]).toBe('wasyncio: unknown command "exlpore"');
  });

  it.each([
    [[], /FILE is required/],
    [[BANK], /--seeds is required/],
    [[BANK, "--seeds", "0"], /--seeds must be a whole number ≥ 1, got "0"/],
    [[BANK, "--seeds", "ten"], /--seeds must be a whole number ≥ 1, got "ten"/],
    [[BANK, "--seeds", "5", "--schedule", "fifo"], /--schedule must be random or pct, got "fifo"/],
    [[BANK, "--seeds", "5", "--core", "rust"], /--core must be wasm or js/],
    [[BANK, "--seeds", "5", "--jobs", "0"], /--jobs must be a whole number ≥ 1/],
    [[BANK, "--seeds", "5", "--depth", "x"], /--depth must be a whole number ≥ 1/],
    [[BANK, "--seeds", "5", "--frobnicate"], /Unknown option '--frobnicate'/],
    [[BANK, BANK, "--seeds", "5"], /one FILE only/],
    [["nope.mjs", "--seeds", "5"], /nope\.mjs: no such file/],
    [[fixture("nothing.mjs"), "--seeds", "5"], /exports nothing runnable: export a generator function.*\(its exports: answer, notAGenerator\)/],
    [[fixture("two.mjs"), "--seeds", "5"], /exports several scenarios \(quick, slow\): choose one with --export NAME/],
    [[fixture("two.mjs"), "--seeds", "5", "--export", "fast"], /has no export 'fast' that is a function \(its functions: quick, slow\)/],
  ])("explore %j: exit 2 and what was wrong", async (args, message) => {
    const r = await cli(["explore", ...args]);
    expect(r.code).toBe(2);
    expect(r.err[0]).toMatch(/^wasyncio explore: /);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toContain("(wasyncio explore --help for its options)");
    expect(r.stdout).toBe("");
  });

  it("a module that fails to import: exit 2 with its error", async () => {
    const broken = join(work, "broken.mjs");
    writeFileSync(broken, "export default function* () {\n  yield* ;\n}\n");
    const r = await cli(["explore", broken, "--seeds", "3"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/broken\.mjs could not be imported: \w*Error: /);
    expect(r.stderr).toMatch(/Unexpected token/);
  });
});

describe("explore", () => {
  const out = join(work, "bank-run");
  let tapeFile = "";

  it("finds the bank's overdraft: exit 1, the seeds, the tape and trace files, and the commands", async () => {
    const r = await cli(["explore", BANK, "--seeds", "1000", "--out", out]);
    expect(r.code).toBe(1);
    expect(r.out[0]).toMatch(/^explore examples\/bank\/bank\.mjs: 1,000 seeds under random, \d{2,3} failed \([\d,]+ seeds\/s\)$/);
    expect(r.out[1]).toMatch(/^first failing seed: \d+: OverdraftError: account overdrawn: balance is -20 after two withdrawals of 60$/);
    expect(r.out[2]).toMatch(/^failing seeds: (\d+, ){10}…$/);
    const seed = Number(/seed: (\d+)/.exec(r.out[1])![1]);
    // the CLI explores in chunks (a macrotask between them): it finds what one explore() call finds
    const direct = explore(bank, { seeds: 1000 }).failures;
    expect(r.out[0]).toContain(` ${direct.length} failed`);
    expect(seed).toBe(direct[0].seed);
    expect(r.out[2]).toBe(`failing seeds: ${direct.slice(0, 10).map((f) => f.seed).join(", ")}, …`);
    tapeFile = join(out, `bank-random-seed${seed}.tape.json`);
    expect(r.out[3]).toBe(`tape: ${tapeFile} (${JSON.parse(readFileSync(tapeFile, "utf8")).choices.length} choices, ${/(\d+) off FIFO/.exec(r.out[3])![1]} off FIFO)`);
    const tape = JSON.parse(readFileSync(tapeFile, "utf8"));
    expect(tape).toMatchObject({ version: 1, export: "default", seed, schedule: "random", core: "wasm", error: "OverdraftError: account overdrawn: balance is -20 after two withdrawals of 60" });
    expect(resolve(out, tape.module)).toBe(join(root, BANK));
    const traceFile = tapeFile.replace(".tape.json", ".trace.jsonl");
    expect(r.out[4]).toBe(`trace: ${traceFile} (replay it with no host: npx wasyncio replay ${traceFile})`);
    const trace = Trace.parse(readFileSync(traceFile, "utf8"));
    expect(trace.header.schedule).toEqual(tape.choices);
    expect(trace.header.scenario).toEqual({ module: tape.module, export: "default" });
    expect(r.out[5]).toBe(`replay it: npx wasyncio shrink ${tapeFile} --module ${BANK} --explain`);
    expect(r.out[6]).toBe(`shrink it: npx wasyncio shrink ${tapeFile} --module ${BANK}`);
    expect(r.out).toHaveLength(7);
    expect(r.stderr).toBe(""); // no terminal: no progress lines for a short run
  });

  it("shrink TAPEFILE: ONE deviation, explained, written beside the original", async () => {
    const r = await cli(["shrink", tapeFile, "--module", BANK]);
    expect(r.code).toBe(0);
    expect(r.out[0]).toMatch(/\(seed \d+ under random\): \d+ deviations? from FIFO in \d+ choices, fails with OverdraftError: account overdrawn/);
    expect(r.out[1]).toMatch(/^shrunk to 1 deviation from FIFO in [\d.]+ s:$/);
    expect(r.out[2]).toMatch(/^1 deviation from FIFO \(tape: \[(0,)*1\]\)$/);
    expect(r.out[3]).toMatch(/^  iteration 3: Task 'bob' ran before Task 'alice'/);
    expect(r.stdout).toContain("    Task 'bob' resumed at yield* sleep(0)\n                 at signIn (examples/bank/bank.mjs:");
    expect(r.stdout).toContain("at withdraw (examples/bank/bank.mjs:");
    expect(r.stdout).toContain("  then: OverdraftError: account overdrawn: balance is -20 after two withdrawals of 60");
    const shrunkFile = tapeFile.replace(".tape.json", ".shrunk.tape.json");
    expect(r.stdout).toContain(`shrunk tape: ${shrunkFile}\nreplay it: npx wasyncio shrink ${shrunkFile} --explain`);
    const shrunk = JSON.parse(readFileSync(shrunkFile, "utf8"));
    expect(shrunk.choices.filter((c: number) => c !== 0)).toEqual([1]);
    expect(shrunk.shrunkFrom).toBe(tapeFile.split("/").pop());
    // --explain replays as is; the module comes from the tape file
    const again = await cli(["shrink", shrunkFile, "--explain"]);
    expect(again.code).toBe(0);
    expect(again.out[0]).toBe(`${shrunkFile}, replayed: OverdraftError: account overdrawn: balance is -20 after two withdrawals of 60`);
    expect(again.out.slice(1)).toEqual(r.out.slice(2, 2 + again.out.length - 1));
  });

  it("shrink a trace file (the Recorder's, which names the module and the tape)", async () => {
    const r = await cli(["shrink", tapeFile.replace(".tape.json", ".trace.jsonl"), "--out", join(out, "from-trace.json")]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/shrunk to 1 deviation from FIFO/);
    expect(JSON.parse(readFileSync(join(out, "from-trace.json"), "utf8")).choices.filter((c: number) => c !== 0)).toEqual([1]);
  });

  it("pct with --depth and a named export; --max-failures stops early", async () => {
    const r = await cli(["explore", BANK, "--seeds", "500", "--schedule", "pct", "--depth", "2", "--export", "default", "--max-failures", "3", "--out", out, "--no-check"]);
    expect(r.code).toBe(1);
    expect(r.out[0]).toMatch(/: \d+ seeds under pct \(depth 2\), 3 failed /);
    const tape = JSON.parse(readFileSync(join(out, /bank-pct-seed\d+\.tape\.json/.exec(r.stdout)![0]), "utf8"));
    expect(tape).toMatchObject({ schedule: "pct", pctDepth: 2 });
  });

  it("a scenario that passes every seed: exit 0, nothing written", async () => {
    const dir = join(work, "safe");
    const r = await cli(["explore", fixture("safe.mjs"), "--seeds", "300", "--schedule", "pct", "--out", dir]);
    expect(r.code).toBe(0);
    expect(r.out).toEqual([expect.stringMatching(/^explore test\/cli\/fixtures\/safe\.mjs \(export safeBank\): 300 seeds under pct \(depth 3\), 0 failed/)]);
    expect(existsSync(dir)).toBe(false);
  });

  it("a scenario that does not replay: exit 1 with the divergence", async () => {
    const leaky = fixture("leaky.mjs");
    const r = await cli(["explore", leaky, "--seeds", "4"]);
    expect(r.code).toBe(1);
    expect(r.out[0]).toMatch(/4 seeds under random, 0 failed/);
    expect(r.stdout).toMatch(/not deterministic: two runs of seed 0 \(random\) differ from iteration \d+:/);
  });

  it("a terminal gets a progress line on stderr, cleared at the end; --jobs without the built CLI runs here", async () => {
    const r = await cli(["explore", BANK, "--seeds", "300", "--out", out, "--jobs", "2"], { tty: true });
    expect(r.code).toBe(1);
    expect(r.err).toEqual(["explore: --jobs needs the built CLI (dist/cli.mjs); running in this thread"]);
    expect(r.status.length).toBeGreaterThanOrEqual(2);
    expect(r.status[0]).toMatch(/^explore: \d+\/300 seeds, [\d,]+ seeds\/s, \d+ failed$/);
    expect(r.status.at(-2)).toMatch(/^explore: 300\/300 seeds/);
    expect(r.status.at(-1)).toBe("");
  });
});

describe("shrink: usage errors and tapes that do not fail", () => {
  it.each([
    [[], /TAPEFILE is required/],
    [["a.json", "b.json"], /one TAPEFILE only/],
    [["missing.json"], /missing\.json: no such file/],
    [["--max-runs", "0", "x.json"], /--max-runs must be a whole number ≥ 1/],
  ])("shrink %j: exit 2", async (args, message) => {
    const r = await cli(["shrink", ...args]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it("not a tape, a tape without a module, a bad --core", async () => {
    const junk = join(work, "junk.json");
    writeFileSync(junk, "hello");
    expect((await cli(["shrink", junk])).stderr).toMatch(/junk\.json is not a tape file \(JSON with \{ version, choices \}\) or a trace/);
    const bare = join(work, "bare.json");
    writeFileSync(bare, JSON.stringify({ version: 1, choices: [0, 0, 0, 1] }));
    const r = await cli(["shrink", bare]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bare\.json does not name its module: give --module FILE/);
    expect((await cli(["shrink", bare, "--module", BANK, "--core", "x"])).stderr).toMatch(/--core must be wasm or js/);
    const wrong = join(work, "wrong.json");
    writeFileSync(wrong, JSON.stringify({ version: 7, choices: [] }));
    expect((await cli(["shrink", wrong, "--module", BANK])).stderr).toMatch(/is not a tape file: Tape.from\(value\): tape version 7 is not supported/);
  });

  it("a tape that does not fail (FIFO): exit 1, said plainly", async () => {
    const fifo = join(work, "fifo.json");
    writeFileSync(fifo, JSON.stringify({ version: 1, choices: [], error: "OverdraftError: …" }));
    const r = await cli(["shrink", fifo, "--module", BANK]);
    expect(r.code).toBe(1);
    expect(r.out[0]).toBe(`${fifo}: the replay ended without error, but the tape was written for OverdraftError: ….`);
    expect(r.out[1]).toMatch(/^The scenario does not replay/);
  });
});

describe("replay and diff come from cli/replay.ts and cli/diff.ts", () => {
  for (const cmd of ["replay", "diff"] as const) {
    it(`${cmd}: dispatched to ${cmd}Command, whose exit code is the CLI's`, async () => {
      const mod = await import(/* @vite-ignore */ `../../src/cli/${cmd}.ts`);
      const spy = vi.spyOn(mod, `${cmd}Command` as never).mockImplementation((() => 7) as never);
      try {
        const r = await cli([cmd, "a", "b"]);
        expect(r.code).toBe(7);
        expect(spy).toHaveBeenCalledWith(["a", "b"], expect.anything());
      } finally {
        spy.mockRestore();
      }
    });
  }
});


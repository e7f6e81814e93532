// `wasyncio replay TRACE` and `wasyncio diff A B` (src/cli/replay.ts, src/cli/diff.ts), run in
// process with their output captured; and the record-replay example as a user runs it.

import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it, vi } from "vitest";
vi.mock("wasyncio", () => import("../../src/index.ts")); // the example imports 'wasyncio'
import { Recorder, getRunningLoop, run, runSync, sleep } from "../../src/index.ts";
import { replayCommand } from "../../src/cli/replay.ts";
import { diffCommand } from "../../src/cli/diff.ts";
// @ts-expect-error -- the example is plain JS
import { main as echoMain } from "../../examples/record-replay/echo.mjs";

const root = fileURLToPath(new URL("../..", import.meta.url));
const example = join(root, "examples/record-replay");
const dir = mkdtempSync(join(tmpdir(), "wasyncio-replay-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (s: string) => void out.push(s), err: (s: string) => void err.push(s), status: () => {}, isTTY: false, cwd: root, workerUrl: null } };
}

async function recordEchoTrace(name: string): Promise<string> {
  const path = join(dir, name);
  const rec = new Recorder({ scenario: { module: relative(dir, join(example, "echo.mjs")), export: "main" } });
  await run(echoMain, { record: rec });
  writeFileSync(path, rec.trace().toString());
  return path;
}

describe("wasyncio replay", () => {
  it("--help", async () => {
    const c = capture();
    expect(await replayCommand(["--help"], c.io)).toBe(0);
    expect(c.out.join("\n")).toMatch(/^usage: wasyncio replay TRACE \[--module FILE\] \[--export NAME\]/);
    expect(c.out.join("\n")).toMatch(/exit codes: 0 the replay was faithful, 1 it diverged/);
  });

  it("replays a trace against the program its header names: exit 0", async () => {
    const trace = await recordEchoTrace("echo.trace");
    const c = capture();
    expect(await replayCommand([trace], c.io)).toBe(0);
    expect(c.out.join("\n")).toMatch(/echo\.mjs \(main\) replayed \d+ iterations of .*echo\.trace under run\(\) faithfully; main returned \{"port":\d+,"replies":\[\["ADA: HELLO"/);
  });

  it("a program that does something else: exit 1 with the divergence", async () => {
    const trace = await recordEchoTrace("echo2.trace");
    const other = join(root, "test/sim/fixtures/cli-other.mjs");
    const c = capture();
    expect(await replayCommand([trace, "--module", other], c.io)).toBe(1);
    expect(c.err.join("\n")).toMatch(/other\.mjs \(main\) does not replay .*echo2\.trace:\nreplay diverged at iteration [01]: expected /);
  });

  it("a runSync trace is replayed under runSync, and a failing main is reported as replayed", async () => {
    const mod = join(root, "test/sim/fixtures/cli-fails.mjs");
    const { default: failing } = await import(mod);
    const rec = new Recorder({ scenario: { module: mod } }); // an absolute path
    expect(() => runSync(failing, { record: rec })).toThrow(RangeError);
    const trace = join(dir, "fails.trace");
    writeFileSync(trace, rec.trace().toString());
    const c = capture();
    expect(await replayCommand([trace], c.io)).toBe(0);
    expect(c.out.join("\n")).toMatch(/under runSync\(\) faithfully; main raised RangeError: as recorded/);
  });

  it("bad input: exit 2 naming what is wrong", async () => {
    const cases: [string[], RegExp][] = [
      [[], /which trace\?/],
      [["a", "b"], /one trace at a time/],
      [[join(dir, "missing.trace")], /missing\.trace: no such file/],
      [["--bogus"], /Unknown option '--bogus'/],
    ];
    const notTrace = join(dir, "not.trace");
    writeFileSync(notTrace, `{"wasyncio":"trace","version":7}\n`);
    cases.push([[notTrace], /not\.trace is not a wasyncio trace: Trace\.parse: line 1: trace version 7 is newer/]);
    const truncated = join(dir, "cut.trace");
    const good = readFileSync(await recordEchoTrace("whole.trace"), "utf8");
    writeFileSync(truncated, good.slice(0, good.length - 10));
    cases.push([[truncated], /cut\.trace is not a wasyncio trace: Trace\.parse: line \d+: the line is cut short/]);
    const anonymous = join(dir, "anon.trace");
    const rec = new Recorder();
    runSync(function* () { yield* sleep(1); }, { record: rec });
    writeFileSync(anonymous, rec.trace().toString());
    cases.push([[anonymous], /does not name the program it recorded .*--module FILE/]);
    cases.push([[anonymous, "--module", join(dir, "nope.mjs")], /nope\.mjs: no such file/]);
    for (const [argv, message] of cases) {
      const c = capture();
      expect(await replayCommand(argv, c.io), argv.join(" ")).toBe(2);
      expect(c.err.join("\n")).toMatch(message);
    }
  });
});

describe("wasyncio diff", () => {
  it("--help", async () => {
    const c = capture();
    expect(await diffCommand(["--help"], c.io)).toBe(0);
    expect(c.out[0]).toMatch(/^usage: wasyncio diff TRACE_A TRACE_B/);
  });

  it("identical traces: exit 0; different ones: exit 1 with the line and iteration and both sides", async () => {
    const prog = (extra: boolean) =>
      function* () {
        yield* sleep(1);
        if (extra) getRunningLoop().callSoon(() => {});
        yield* sleep(1);
      };
    const write = (name: string, extra: boolean, seed = 1) => {
      const rec = new Recorder();
      runSync(prog(extra), { record: rec, seed });
      const path = join(dir, name);
      writeFileSync(path, rec.trace().toString());
      return path;
    };
    const a = write("a.trace", false);
    const a2 = write("a2.trace", false);
    const b = write("b.trace", true);
    let c = capture();
    expect(await diffCommand([a, a2], c.io)).toBe(0);
    expect(c.out[0]).toMatch(/a\.trace and .*a2\.trace record the same run \(\d+ iterations\)/);
    c = capture();
    expect(await diffCommand([a, b], c.io)).toBe(1);
    expect(c.out.join("\n")).toMatch(/^wasyncio diff: first difference at iteration \d+ \(.*a\.trace line \d+, .*b\.trace line \d+\): the scheduler state differs.*\n  .*a\.trace: checksum 0x[0-9a-f]{8}\n  .*b\.trace: checksum 0x[0-9a-f]{8}$/);
    c = capture();
    expect(await diffCommand([a, write("s.trace", false, 2)], c.io)).toBe(1);
    expect(c.out.join("\n")).toMatch(/iteration 0 .*line 1.*line 1\): the header's seed differs\n  .*: seed 1\n  .*: seed 2/);
  });

  it("bad input: exit 2", async () => {
    for (const argv of [[], ["one"], [join(dir, "missing-a"), join(dir, "missing-b")]]) {
      const c = capture();
      expect(await diffCommand(argv, c.io)).toBe(2);
      expect(c.err.join("\n")).toMatch(/wasyncio diff: .*\n\(wasyncio diff --help/);
    }
  });
});

// the example as a user runs it, through the built package (npm test builds dist/ first)
const built = existsSync(join(root, "dist/index.mjs")) && readdirSync(join(root, "dist")).some((f) => f.endsWith(".mjs") && readFileSync(join(root, "dist", f), "utf8").includes("ReplayDriver"));

describe.runIf(built)("examples/record-replay (dist/)", () => {
  it("records on real sockets, replays with the network unplugged, and `wasyncio replay` agrees", () => {
    const trace = join(dir, "example.trace");
    const node = (args: string[]) => execFileSync(process.execPath, args, { cwd: root, encoding: "utf8", timeout: 60_000 }).trim().split("\n");
    const recorded = node([join(example, "record.mjs"), trace]);
    const replayed = node([join(example, "replay.mjs"), trace]);
    expect(replayed[0]).toBe(recorded[0]);
    expect(replayed[1]).toMatch(/^replayed \d+ iterations with the network unplugged: the same run$/);
    if (existsSync(join(root, "dist/cli.mjs"))) {
      expect(node([join(root, "dist/cli.mjs"), "replay", trace]).join("\n")).toMatch(/replayed \d+ iterations .* faithfully/);
    }
  }, 60_000);
});

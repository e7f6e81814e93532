// The built CLI, dist/cli.mjs, run as a user runs `npx wasyncio` (`npm test` builds dist/ first):
// the #! line, exit codes from the process, explore over worker threads (--jobs) giving the same
// seeds as one thread, and shrink and replay of what explore wrote. The scenario imports
// 'wasyncio' and resolves to this package, as the CLI does: one instance.

import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../..", import.meta.url));
const bin = join(root, "dist", "cli.mjs");
const built = existsSync(bin);
const work = mkdtempSync(join(tmpdir(), "wasyncio-bin-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function wasyncio(args: string[]): { code: number; stdout: string; stderr: string } {
  try {
    const stdout = execFileSync(process.execPath, [bin, ...args], { cwd: root, encoding: "utf8", stdio: "pipe", timeout: 60_000 });
    return { code: 0, stdout, stderr: "" };
  } catch (exc) {
    const e = exc as { status: number; stdout: string; stderr: string };
    return { code: e.status, stdout: e.stdout, stderr: e.stderr };
  }
}

describe.runIf(built)("dist/cli.mjs (the wasyncio bin)", { timeout: 90_000 }, () => {
  it("starts with #!/usr/bin/env node; --help exits 0, bad usage 2", () => {
    expect(readFileSync(bin, "utf8").split("\n")[0]).toBe("#!/usr/bin/env node");
    const help = wasyncio(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^usage: wasyncio <command> \[options\]/);
    expect(wasyncio(["explore", "--help"]).stdout).toMatch(/^usage: wasyncio explore FILE --seeds N/);
    const bad = wasyncio(["explore", "examples/bank/bank.mjs"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--seeds is required/);
    expect(wasyncio(["frob"]).code).toBe(2);
  });

  it("explore --jobs 3 finds the same failing seeds as one thread; shrink and replay what it wrote", () => {
    const one = wasyncio(["explore", "examples/bank/bank.mjs", "--seeds", "600", "--schedule", "pct", "--out", join(work, "one")]);
    const three = wasyncio(["explore", "examples/bank/bank.mjs", "--seeds", "600", "--schedule", "pct", "--jobs", "3", "--out", join(work, "three")]);
    expect(one.code).toBe(1);
    expect(three.code).toBe(1);
    const counts = (s: string) => /600 seeds under pct \(depth 3\), (\d+) failed/.exec(s)![1];
    expect(counts(three.stdout)).toBe(counts(one.stdout));
    expect(three.stdout).toMatch(/seeds\/s, 3 threads\)/);
    const lines = (s: string) => s.split("\n").filter((l) => /^(first failing seed|failing seeds):/.test(l));
    expect(lines(three.stdout)).toEqual(lines(one.stdout));
    const tapeFile = /^tape: (\S+)/m.exec(three.stdout)![1];
    expect(readFileSync(tapeFile, "utf8")).toBe(readFileSync(tapeFile.replace("/three/", "/one/"), "utf8"));

    const shrunk = wasyncio(["shrink", tapeFile]);
    expect(shrunk.code).toBe(0);
    expect(shrunk.stdout).toMatch(/shrunk to 1 deviation from FIFO/);
    expect(shrunk.stdout).toContain("iteration 3: Task 'bob' ran before Task 'alice'");

    const traceFile = /^trace: (\S+)/m.exec(three.stdout)![1];
    const replayed = wasyncio(["replay", traceFile]);
    expect(replayed.stdout + replayed.stderr).toMatch(/OverdraftError/);
  });
});

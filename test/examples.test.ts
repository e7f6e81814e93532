// The README's I/O examples run as a user runs them: `node examples/<name>.mjs` importing
// "wasyncio" (the built dist/, resolved through a node_modules link in a scratch folder).

import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const built = existsSync(join(root, "dist", "index.cjs"));
const scratch = mkdtempSync(join(tmpdir(), "wasyncio-examples-"));
mkdirSync(join(scratch, "node_modules"));
symlinkSync(root, join(scratch, "node_modules", "wasyncio"), "dir");
cpSync(join(root, "examples"), join(scratch, "examples"), { recursive: true });
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const runExample = (name: string) =>
  execFileSync(process.execPath, [join(scratch, "examples", name)], { cwd: scratch, encoding: "utf8", timeout: 30_000 });

describe.runIf(built)("examples", () => {
  it("echo.mjs: a TCP echo server and two clients through streams", () => {
    const out = runExample("echo.mjs").split("\n");
    expect(out).toContain("alice got: hello from alice");
    expect(out).toContain("bob got: hello from bob");
    expect(out.filter((l) => l === "server: 127.0.0.1 disconnected")).toHaveLength(2);
  });

  it("subprocess.mjs: communicate() with sort", () => {
    expect(runExample("subprocess.mjs")).toBe("cherry, banana, apple\nsort exited with 0\n");
  });

  it("executor.mjs: toThread computes in a worker while the loop's timers fire", () => {
    const m = /^fib\(35\) = 9227465, computed in a worker; the loop's 10 ms timer fired (\d+) times meanwhile\n$/.exec(runExample("executor.mjs"));
    expect(m).not.toBeNull();
    expect(Number(m![1])).toBeGreaterThan(0); // fib(35) takes tens of ms at least: the loop was not blocked
  });
});

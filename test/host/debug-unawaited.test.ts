// Debug mode flags an operation's coroutine that was created and never driven (`sleep(1);`
// without yield*): at loop close at the latest, once, naming the operation.

import { describe, expect, it, vi } from "vitest";
import { createTask, runSync, sleep } from "../../src/index.ts";
import { CORES } from "../helpers.ts";

describe.each(CORES)("%s core", (core) => {
  it("a dropped sleep() coroutine is reported as never awaited in debug mode", () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    try {
      runSync(function* () {
        sleep(1); // the bug: no yield*
        yield* sleep(0);
      }, { core, debug: true });
      const lines = warn.mock.calls.map((c) => String(c[0]));
      expect(lines.filter((l) => l.includes("never awaited"))).toHaveLength(1);
      expect(lines.find((l) => l.includes("never awaited"))).toContain("coroutine 'sleep' was never awaited");
    } finally {
      warn.mockRestore();
    }
  });

  it("driven and task-wrapped coroutines are not reported; nothing is reported outside debug mode", () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    try {
      runSync(function* () {
        yield* sleep(0.1);
        const t = createTask(sleep(0.2));
        yield* t;
      }, { core, debug: true });
      runSync(function* () {
        sleep(1);
        yield* sleep(0);
      }, { core });
      expect(warn.mock.calls.map((c) => String(c[0])).filter((l) => l.includes("never awaited"))).toEqual([]);
    } finally {
      warn.mockRestore();
    }
  });

  it("a tracked coroutine still works as a coroutine: yield* returns sleep's result", () => {
    expect(runSync(function* () {
      return yield* sleep(1, "ok");
    }, { core, debug: true })).toBe("ok");
  });
});

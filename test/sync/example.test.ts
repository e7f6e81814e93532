// examples/producer-consumer.mjs prints the transcript CPython 3.13 prints for the same
// program (asyncio.Queue(2), one producer, two consumers, join(), shutdown()).
//
// Two ways: in this process on both cores, with "wasyncio" mapped onto the sources (so the
// example is checked before the barrel exports the queue); and as users run it — `node
// examples/producer-consumer.mjs` against the built package — once dist/ is built from a
// barrel that exports Queue (`npm test` builds first). That second check is about packaging,
// not the core, so it runs once (like test/packaging/entries.test.ts).

import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it, vi } from "vitest";
import { CORES, type CoreName } from "../helpers.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));

// What `python3.13 pc.py` prints for the same program (see the example's header).
const TRANSCRIPT = [
  "[t=0.00] put job-1",
  "[t=0.00] put job-2",
  "[t=0.00] producer waits: queue full (2/2)",
  "[t=0.00] alice starts job-1 (0.5s)",
  "[t=0.00] bob starts job-2 (0.2s)",
  "[t=0.00] put job-3",
  "[t=0.00] put job-4",
  "[t=0.00] producer waits: queue full (2/2)",
  "[t=0.20] bob finished job-2",
  "[t=0.20] bob starts job-3 (0.4s)",
  "[t=0.20] put job-5",
  "[t=0.20] producer waits: queue full (2/2)",
  "[t=0.50] alice finished job-1",
  "[t=0.50] alice starts job-4 (0.15s)",
  "[t=0.50] put job-6",
  "[t=0.50] producer: all jobs queued",
  "[t=0.60] bob finished job-3",
  "[t=0.60] bob starts job-5 (0.3s)",
  "[t=0.65] alice finished job-4",
  "[t=0.65] alice starts job-6 (0.2s)",
  "[t=0.85] alice finished job-6",
  "[t=0.90] bob finished job-5",
  "[t=0.90] all jobs done",
  "[t=0.90] alice stops: the queue is shut down",
  "[t=0.90] bob stops: the queue is shut down",
  "[t=0.90] bye",
];

// The core the mocked `run` uses for the example's loop.
const state: { core: CoreName } = { core: "wasm" };

vi.mock("wasyncio", async () => {
  const api = await import("../../src/index.ts");
  const locks = await import("../../src/index.ts");
  const queues = await import("../../src/index.ts");
  return {
    ...api,
    ...locks,
    ...queues,
    run: (main: Parameters<typeof api.run>[0], options: Parameters<typeof api.run>[1] = {}) =>
      api.run(main, { ...options, core: state.core }),
  };
});

describe.each(CORES)("%s core", (core) => {
  it("the producer/consumer example prints asyncio's transcript (examples/producer-consumer.mjs, in process)", async () => {
    state.core = core;
    const lines: string[] = [];
    const spy = vi.spyOn(console, "log").mockImplementation((...args: unknown[]) => {
      lines.push(args.join(" "));
    });
    try {
      vi.resetModules(); // run the example's top level again for this core
      await import("../../examples/producer-consumer.mjs");
    } finally {
      spy.mockRestore();
    }
    expect(lines).toEqual(TRANSCRIPT);
  });
});

function builtExportsQueue(): boolean {
  if (!existsSync(`${root}/dist/index.mjs`)) return false;
  try {
    const out = execFileSync(
      process.execPath,
      ["--input-type=module", "-e", `import * as w from "wasyncio"; console.log(typeof w.Queue + typeof w.QueueShutDown);`],
      { cwd: root, encoding: "utf8" },
    );
    return out.trim() === "functionfunction";
  } catch {
    return false;
  }
}

describe.runIf(builtExportsQueue())("the built package (dist/)", () => {
  it("node examples/producer-consumer.mjs prints asyncio's transcript", () => {
    const out = execFileSync(process.execPath, ["examples/producer-consumer.mjs"], { cwd: root, encoding: "utf8" });
    expect(out.trimEnd().split("\n")).toEqual(TRANSCRIPT);
  });
});

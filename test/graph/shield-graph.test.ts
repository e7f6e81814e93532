// shield() records the shielding task as awaiting the inner task (asyncio 3.14's
// future_add_to_awaited_by in shield), so the call graph does not show the inner task as an
// unrelated root; the link goes away when the inner task is done.

import { describe, expect, it } from "vitest";
import { captureCallGraph, createTask, currentTask, runSync, shield, sleep } from "../../src/index.ts";
import type { Task } from "../../src/index.ts";
import { CORES } from "../helpers.ts";

describe.each(CORES)("%s core", (core) => {
  it("the inner task of a shield is awaited by the task that shielded it (test_graph: shield, 3.14)", () => {
    const seen: string[] = [];
    let main: Task<unknown> | null = null;
    let inner: Task<unknown> | null = null;
    runSync(function* () {
      main = currentTask();
      inner = createTask((function* () {
        yield* sleep(0);
        const graph = captureCallGraph(currentTask());
        seen.push(...graph!.awaitedBy.map((g) => (g.future as Task<unknown>).getName()));
        yield* sleep(1);
      })(), { name: "inner" });
      yield* shield(inner);
      const after = captureCallGraph(inner);
      seen.push(`after: ${after!.awaitedBy.length}`);
    }, { core });
    expect(main).not.toBeNull();
    expect(seen).toEqual([(main as unknown as Task<unknown>).getName(), "after: 0"]);
    expect(inner!.done()).toBe(true);
  });
});

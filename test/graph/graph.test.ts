// Call-graph introspection — ported from CPython 3.14's test_asyncio/test_graph.py
// (CallStackTestBase) where wasyncio has the awaited construct (TaskGroup, gather, tasks, plain
// futures; shield/wait/timeout come with those helpers), plus the contract of the JS API:
// argument checks, `limit`, the text layout, `printCallGraph` and `dumpTasks`.
//
// 3.14 lists coroutine frames in `call_stack`; here it is the await chain (`task.getStack()`),
// so a task captured while it runs has an empty call stack and a parked one lists the futures
// and tasks it waits on. `walk` mirrors CPython's helper: 'T<name>' for a named task, 'T<anon>'
// for a default-named one, 'F' for a future; awaited-by lists sorted by that label.

import { describe, expect, it } from "vitest";
import {
  Future,
  RuntimeError,
  Task,
  createTask,
  currentTask,
  gather,
  getRunningLoop,
  runSync,
  sleep,
  type Coro,
} from "../../src/index.ts";
import {
  captureCallGraph,
  dumpTasks,
  formatCallGraph,
  futureAddToAwaitedBy,
  futureDiscardFromAwaitedBy,
  printCallGraph,
  type FutureCallGraph,
} from "../../src/index.ts";
import { taskGroup } from "../../src/index.ts";
import { CORES, captureConsole, expectThrows, makeLoop } from "../helpers.ts";

type Walked = [string, string[], Walked[]];

function labelOf(f: Future<unknown>): string {
  if (!(f instanceof Task)) return "F";
  return /^Task-\d+$/.test(f.getName()) ? "T<anon>" : `T<${f.getName()}>`;
}

function walk(g: FutureCallGraph): Walked {
  const by = g.awaitedBy.map(walk).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return [labelOf(g.future), g.callStack.map(labelOf), by];
}

/** capture_test_stack: the walked graph and its text, for `fut` or the current task. */
function captureTestStack(fut?: Future<unknown>): [Walked, string] {
  return [walk(captureCallGraph(fut)!), formatCallGraph(fut)];
}

/** Ids differ from run to run: compare layouts with them blanked. */
function blankIds(text: string): string {
  return text.replace(/id=\d+/g, "id=N");
}

describe.each(CORES)("%s core", (core) => {
  it("a task in a group is awaited by the group's parent and by tasks awaiting it (test_graph.CallStackTestBase.test_stack_tgroup)", () => {
    let stackForC5: [Walked, string] | null = null;
    function c5() {
      stackForC5 = captureTestStack();
    }
    function* c4() {
      yield* sleep(0);
      c5();
    }
    function* c3() {
      yield* c4();
    }
    function* c2() {
      yield* c3();
    }
    function* c1(task: Task<unknown>) {
      yield* task;
    }
    function* main() {
      yield* taskGroup(function* (tg) {
        const task = tg.createTask(c2(), { name: "c2_root" });
        tg.createTask(c1(task), { name: "sub_main_1" });
        tg.createTask(c1(task), { name: "sub_main_2" });
      });
    }
    runSync(main, { core });
    expect(stackForC5![0]).toEqual([
      "T<c2_root>",
      [], // running: parked on nothing
      [
        // the group's parent, parked at the group's end
        ["T<anon>", ["F"], []],
        ["T<sub_main_1>", ["T<c2_root>"], [["T<anon>", ["F"], []]]],
        ["T<sub_main_2>", ["T<c2_root>"], [["T<anon>", ["F"], []]]],
      ],
    ]);
    expect(stackForC5![1]).toMatch(/^\* Task\(name='c2_root', id=\d+\) running\n {2}\+ Awaited by:\n/);
  });

  it("a gather child is awaited by the task awaiting the gather (test_graph.CallStackTestBase.test_stack_gather)", () => {
    let stackForDeep: [Walked, string] | null = null;
    function* deep() {
      yield* sleep(0);
      stackForDeep = captureTestStack();
    }
    function* c1() {
      yield* sleep(0);
      yield* deep();
    }
    function* c2() {
      yield* sleep(0);
    }
    function* main() {
      yield* gather(c1(), c2());
    }
    runSync(main, { core });
    expect(stackForDeep![0]).toEqual(["T<anon>", [], [["T<anon>", ["F"], []]]]);
    expect(stackForDeep![1]).toMatch(/\|   awaits GatheringFuture\(id=\d+\)/);
  });

  it("a task awaited directly (test_graph.CallStackTestBase.test_stack_task)", () => {
    let stackForInner: [Walked, string] | null = null;
    function* inner() {
      yield* sleep(0);
      stackForInner = captureTestStack();
    }
    function* c1() {
      yield* inner();
    }
    function* c2() {
      yield* createTask(c1(), { name: "there there" });
    }
    function* main() {
      yield* c2();
    }
    runSync(main, { core });
    expect(stackForInner![0]).toEqual(["T<there there>", [], [["T<anon>", ["T<there there>"], []]]]);
  });

  it("a plain future awaited by two tasks of a group (test_graph.CallStackTestBase.test_stack_future)", () => {
    let stackForFut: [Walked, string] | null = null;
    function* a2(fut: Future<unknown>) {
      yield* fut;
    }
    function* a1(fut: Future<unknown>) {
      yield* a2(fut);
    }
    function* b1(fut: Future<unknown>) {
      yield* fut;
    }
    function* main() {
      const fut = getRunningLoop().createFuture();
      yield* taskGroup(function* (g) {
        g.createTask(a1(fut), { name: "task A" });
        g.createTask(b1(fut), { name: "task B" });
        for (let i = 0; i < 5; i++) yield* sleep(0); // both tasks now wait on the future
        stackForFut = captureTestStack(fut);
        fut.setResult(null);
      });
    }
    runSync(main, { core });
    expect(stackForFut![0]).toEqual([
      "F",
      [],
      [
        ["T<task A>", ["F"], [["T<anon>", [], []]]],
        ["T<task B>", ["F"], [["T<anon>", [], []]]],
      ],
    ]);
    expect(stackForFut![1].startsWith("* Future(id=")).toBe(true);
  });

  it("callStack is the await chain (getStack), and limit trims it as 3.14's limit does", () => {
    runSync(
      function* () {
        const loop = getRunningLoop();
        const leaf = loop.createFuture();
        const b = createTask((function* () { yield* leaf; })(), { name: "B" });
        const a = createTask((function* () { yield* b; })(), { name: "A" });
        const top = createTask((function* () { yield* a; })(), { name: "top" });
        yield* sleep(0);
        yield* sleep(0);
        const g = captureCallGraph(a)!;
        expect(g.future).toBe(a);
        expect(g.callStack).toHaveLength(2);
        expect(g.callStack[0]).toBe(b);
        expect(g.callStack[1]).toBe(leaf);
        expect(g.awaitedBy).toHaveLength(1);
        expect(g.awaitedBy[0].future).toBe(top);
        expect(walk(g)).toEqual(["T<A>", ["T<B>", "F"], [["T<top>", ["T<A>", "T<B>", "F"], []]]]);
        // positive: the entries nearest the task; negative: the innermost; 0: none
        expect(walk(captureCallGraph(a, { limit: 1 })!)).toEqual(["T<A>", ["T<B>"], [["T<top>", ["T<A>"], []]]]);
        expect(walk(captureCallGraph(a, { limit: -1 })!)).toEqual(["T<A>", ["F"], [["T<top>", ["F"], []]]]);
        expect(walk(captureCallGraph(a, { limit: 0 })!)).toEqual(["T<A>", [], [["T<top>", [], []]]]);
        expect(Object.isFrozen(g) && Object.isFrozen(g.callStack) && Object.isFrozen(g.awaitedBy)).toBe(true);
        leaf.setResult(null);
        yield* top;
      },
      { core },
    );
  });

  it("formatCallGraph uses 3.14's layout", () => {
    runSync(
      function* () {
        currentTask()!.setName("main");
        const leaf = getRunningLoop().createFuture();
        const b = createTask((function* () { yield* leaf; })(), { name: "B" });
        yield* sleep(0);
        let text = "";
        getRunningLoop().callSoon(() => {
          text = formatCallGraph(b);
          leaf.setResult(null);
        });
        yield* b;
        expect(blankIds(text)).toBe(
          [
            "* Task(name='B', id=N)",
            "  + Call stack:",
            "  |   awaits Future(id=N)",
            "  + Awaited by:",
            "    * Task(name='main', id=N)",
            "      + Call stack:",
            "      |   awaits Task(name='B', id=N)",
            "      |   awaits Future(id=N)",
          ].join("\n"),
        );
        // the same future gets the same id everywhere in a report
        const ids = text.match(/Future\(id=(\d+)\)/g)!;
        expect(new Set(ids).size).toBe(1);
      },
      { core },
    );
  });

  it("no current task: captureCallGraph() is null and the text empty; no loop: RuntimeError", async () => {
    expectThrows(() => captureCallGraph(), RuntimeError, /outside of a running event loop/);
    expectThrows(() => formatCallGraph(), RuntimeError, /outside of a running event loop/);
    const loop = makeLoop(core);
    const seen: unknown[] = [];
    const out = captureConsole();
    loop.callSoon(() => {
      seen.push(captureCallGraph(), formatCallGraph());
      printCallGraph();
      loop.stop();
    });
    await loop.runForever();
    expect(seen).toEqual([null, ""]);
    expect(out.calls()).toEqual([[""]]);
    // a future can be introspected without a running loop
    const fut = loop.createFuture();
    expect(walk(captureCallGraph(fut)!)).toEqual(["F", [], []]);
  });

  it("printCallGraph prints the current task's graph with console.log", () => {
    const out = captureConsole();
    runSync(
      function* () {
        currentTask()!.setName("main");
        const child = createTask(
          (function* () {
            yield* sleep(0);
            printCallGraph();
          })(),
          { name: "child" },
        );
        yield* child;
      },
      { core },
    );
    expect(out.calls()).toHaveLength(1);
    expect(blankIds(String(out.calls()[0][0]))).toBe(
      [
        "* Task(name='child', id=N) running",
        "  + Awaited by:",
        "    * Task(name='main', id=N)",
        "      + Call stack:",
        "      |   awaits Task(name='child', id=N) running",
      ].join("\n"),
    );
  });

  it("bad arguments are TypeErrors naming them", () => {
    runSync(
      function* () {
        expectThrows(() => captureCallGraph(5 as never), TypeError, /future/);
        expectThrows(() => captureCallGraph({} as never), TypeError, /future/);
        expectThrows(() => captureCallGraph(null, { limit: 1.5 }), TypeError, /limit/);
        expectThrows(() => captureCallGraph(null, { limit: "2" as never }), TypeError, /limit/);
        expectThrows(() => formatCallGraph(null, null as never), TypeError, /options/);
        expectThrows(() => printCallGraph("x" as never), TypeError, /future/);
        expectThrows(() => dumpTasks(5 as never), TypeError, /loop/);
        const fut = getRunningLoop().createFuture();
        expectThrows(() => futureAddToAwaitedBy(fut, "task" as never), TypeError, /waiter/);
        expectThrows(() => futureAddToAwaitedBy(null as never, fut), TypeError, /fut/);
        expectThrows(() => futureDiscardFromAwaitedBy(fut, 1 as never), TypeError, /waiter/);
        yield* sleep(0);
      },
      { core },
    );
  });

  it("futureAddToAwaitedBy records a relation the graph shows until futureDiscardFromAwaitedBy", () => {
    runSync(
      function* () {
        const loop = getRunningLoop();
        const fut = loop.createFuture();
        const gate = loop.createFuture();
        const waiter = createTask((function* () { yield* gate; })(), { name: "waiter" });
        yield* sleep(0);
        expect(walk(captureCallGraph(fut)!)).toEqual(["F", [], []]);
        futureAddToAwaitedBy(fut, waiter);
        futureAddToAwaitedBy(fut, waiter); // a set: recorded once
        expect(walk(captureCallGraph(fut)!)).toEqual(["F", [], [["T<waiter>", ["F"], []]]]);
        futureDiscardFromAwaitedBy(fut, waiter);
        futureDiscardFromAwaitedBy(fut, waiter); // forgetting twice is fine
        expect(walk(captureCallGraph(fut)!)).toEqual(["F", [], []]);
        gate.setResult(null);
        yield* waiter;
      },
      { core },
    );
  });

  it("a group's child is recorded as awaited by the parent only while it runs", () => {
    runSync(
      function* () {
        currentTask()!.setName("main");
        let child!: Task<unknown>;
        yield* taskGroup(function* (tg) {
          child = tg.createTask(sleep(1), { name: "child" });
          yield* sleep(0);
          expect(walk(captureCallGraph(child)!)).toEqual(["T<child>", ["F"], [["T<main>", [], []]]]);
        });
        expect(child.done()).toBe(true);
        expect(walk(captureCallGraph(child)!)).toEqual(["T<child>", [], []]);
      },
      { core },
    );
  });

  it("dumpTasks draws every root task with what it waits on: group children, tasks, gathers", () => {
    let text = "";
    runSync(
      function* () {
        currentTask()!.setName("main");
        const loop = getRunningLoop();
        yield* taskGroup(function* (tg) {
          const fut = loop.createFuture();
          const a = tg.createTask((function* () { yield* fut; })(), { name: "a" });
          tg.createTask((function* () { yield* a; })(), { name: "b" });
          tg.createTask(
            (function* () {
              yield* gather(createTask(sleep(2), { name: "d" }), createTask(sleep(2), { name: "e" }));
            })(),
            { name: "c" },
          );
          yield* sleep(1);
          text = dumpTasks();
          fut.setResult(null);
        });
      },
      { core },
    );
    expect(blankIds(text)).toBe(
      [
        "Task(name='main', id=N) running",
        "├── Task(name='a', id=N)",
        "│   └── Future(id=N)",
        "├── Task(name='b', id=N)",
        "│   └── Task(name='a', id=N) (see above)",
        "└── Task(name='c', id=N)",
        "    └── GatheringFuture(id=N)",
        "        ├── Task(name='d', id=N)",
        "        │   └── Future(id=N)",
        "        └── Task(name='e', id=N)",
        "            └── Future(id=N)",
      ].join("\n"),
    );
  });

  it("nested gathers: the leaves are awaited by the task awaiting the outer gather", () => {
    let text = "";
    let walked: Walked | null = null;
    runSync(
      function* () {
        currentTask()!.setName("main");
        const x = createTask(sleep(1), { name: "x" });
        const y = createTask(sleep(1), { name: "y" });
        const z = createTask(sleep(1), { name: "z" });
        getRunningLoop().callLater(0.5, () => {
          text = dumpTasks();
          walked = walk(captureCallGraph(x)!);
        });
        yield* gather(gather(x, y), z);
      },
      { core },
    );
    expect(walked).toEqual(["T<x>", ["F"], [["T<main>", ["F"], []]]]);
    expect(blankIds(text)).toBe(
      [
        "Task(name='main', id=N)",
        "└── GatheringFuture(id=N)",
        "    ├── GatheringFuture(id=N)",
        "    │   ├── Task(name='x', id=N)",
        "    │   │   └── Future(id=N)",
        "    │   └── Task(name='y', id=N)",
        "    │       └── Future(id=N)",
        "    └── Task(name='z', id=N)",
        "        └── Future(id=N)",
      ].join("\n"),
    );
  });

  it("dumpTasks shows tasks that only await each other (a cycle) and marks cancelling tasks", () => {
    let text = "";
    let graph: Walked | null = null;
    runSync(
      function* () {
        currentTask()!.setName("main");
        const loop = getRunningLoop();
        const fx = loop.createFuture();
        const fy = loop.createFuture();
        const fz = loop.createFuture();
        const x = createTask((function* () { yield* fx; })(), { name: "x" });
        const y = createTask(
          (function* () {
            try {
              yield* fy;
            } catch {
              yield* fz; // swallows the cancellation: stays pending with cancelling() = 1
            }
          })(),
          { name: "y" },
        );
        yield* sleep(0);
        futureAddToAwaitedBy(x, y);
        futureAddToAwaitedBy(y, x);
        y.cancel();
        yield* sleep(0);
        text = dumpTasks();
        graph = walk(captureCallGraph(x)!);
        futureDiscardFromAwaitedBy(x, y);
        futureDiscardFromAwaitedBy(y, x);
        fx.setResult(null);
        fz.setResult(null);
        yield* gather(x, y);
      },
      { core },
    );
    expect(blankIds(text)).toBe(
      [
        "Task(name='main', id=N) running",
        "Task(name='x', id=N)",
        "├── Future(id=N)",
        "└── Task(name='y', id=N) cancelling=1",
        "    ├── Future(id=N)",
        "    └── Task(name='x', id=N) (see above)",
      ].join("\n"),
    );
    // the upward graph cuts the cycle where it closes
    expect(graph).toEqual(["T<x>", ["F"], [["T<y>", ["F"], []]]]);
  });

  it("dumpTasks: the running loop by default, '' when nothing is pending, RuntimeError without a loop", async () => {
    expectThrows(() => dumpTasks(), RuntimeError, /no running event loop/);
    const loop = makeLoop(core);
    expect(dumpTasks(loop)).toBe("");
    const t = loop.createTask(sleep(1), { name: "sleeper" });
    expect(blankIds(dumpTasks(loop))).toBe("Task(name='sleeper', id=N)"); // not started yet
    await loop.runUntilComplete(sleep(0));
    expect(blankIds(dumpTasks(loop))).toBe("Task(name='sleeper', id=N)\n└── Future(id=N)");
    await loop.runUntilComplete(t);
    expect(dumpTasks(loop)).toBe("");
  });

  it("captureCallGraph marks done futures in a chain", () => {
    runSync(
      function* (): Coro<void> {
        const loop = getRunningLoop();
        const fut = loop.createFuture();
        const t = createTask((function* () { yield* fut; })(), { name: "t" });
        yield* sleep(0);
        fut.setResult(1); // t is woken, not yet stepped: still parked on a done future
        expect(blankIds(formatCallGraph(t))).toBe("* Task(name='t', id=N)\n  + Call stack:\n  |   awaits Future(id=N) done");
        yield* t;
      },
      { core },
    );
  });
});

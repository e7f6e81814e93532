// Call-graph introspection: asyncio 3.14's `Lib/asyncio/graph.py` (`capture_call_graph`,
// `format_call_graph`, `print_call_graph`, `future_add_to_awaited_by`), on every host, plus a
// dump of all of a loop's tasks as a tree.
//
// Who waits on what is read from state the loop keeps anyway, so nothing here costs the hot
// path anything:
//   - a task parked at `yield* fut` has `task._futWaiter === fut` (downward: `getStack()`);
//   - the tasks awaiting a future are found by scanning the loop's tasks for that `_futWaiter`
//     (a task parked on a `gather()` awaits each of the gather's children, as in 3.14 where
//     gather records the awaiting task on every child);
//   - structured forms that wait without parking on the child itself (TaskGroup: the parent waits
//     on an internal future) record the relation with `futureAddToAwaitedBy`, 3.14's hook, in a
//     WeakMap, and remove it with `futureDiscardFromAwaitedBy` when the child is done.
// 3.14 lists coroutine frames in `call_stack`; JS cannot see a suspended generator's frames, so
// `callStack` here is the await chain those frames would show: the future a task is parked on,
// then — if that is a task — what that task is parked on, down to the leaf.

import { RuntimeError, describe } from "../errors.js";
import { _getRunningLoop, getRunningLoop } from "../loop/running.js";
import { Future } from "../tasks/futures.js";
import { GatheringFuture } from "../compose/gather.js";
import { EventLoop } from "../loop/event-loop.js";
import { Task } from "../tasks/tasks.js";

// fut -> the futures/tasks recorded as awaiting it (weak on fut: a forgotten discard cannot leak
// a finished child)
const awaitedByRegistry = new WeakMap<Future<unknown>, Set<Future<unknown>>>();

function checkPair(fn: string, fut: unknown, waiter: unknown): void {
  if (!(fut instanceof Future)) {
    throw new TypeError(`${fn}(fut, waiter): fut must be a Future or a Task, got ${describe(fut)}`);
  }
  if (!(waiter instanceof Future)) {
    throw new TypeError(`${fn}(fut, waiter): waiter must be a Future or a Task, got ${describe(waiter)}`);
  }
}

/**
 * Record that `fut` is awaited by `waiter` (asyncio 3.14's `future_add_to_awaited_by`), for
 * combinators that wait on a future without parking a task on it — the call graph then shows
 * `waiter` under `fut`'s "awaited by". Pair every call with `futureDiscardFromAwaitedBy`.
 *
 * @example
 * const child = createTask(work());
 * futureAddToAwaitedBy(child, currentTask()!);
 * child.addDoneCallback(() => futureDiscardFromAwaitedBy(child, parent));
 */
export function futureAddToAwaitedBy(fut: Future<unknown>, waiter: Future<unknown>): void {
  checkPair("futureAddToAwaitedBy", fut, waiter);
  let waiters = awaitedByRegistry.get(fut);
  if (waiters === undefined) awaitedByRegistry.set(fut, (waiters = new Set()));
  waiters.add(waiter);
}

/**
 * Forget that `fut` is awaited by `waiter` (asyncio 3.14's `future_discard_from_awaited_by`).
 * Forgetting a relation that was never recorded does nothing.
 *
 * @example
 * child.addDoneCallback(() => futureDiscardFromAwaitedBy(child, parent));
 */
export function futureDiscardFromAwaitedBy(fut: Future<unknown>, waiter: Future<unknown>): void {
  checkPair("futureDiscardFromAwaitedBy", fut, waiter);
  const waiters = awaitedByRegistry.get(fut);
  if (waiters === undefined) return;
  waiters.delete(waiter);
  if (waiters.size === 0) awaitedByRegistry.delete(fut);
}

/**
 * One node of a call graph (asyncio 3.14's `FutureCallGraph`): a future or task, what it awaits,
 * and — recursively, upward — who awaits it. Frozen: a snapshot of the moment of capture.
 *
 * @example
 * function roots(g: FutureCallGraph): Future<unknown>[] {
 *   return g.awaitedBy.length === 0 ? [g.future] : g.awaitedBy.flatMap(roots);
 * }
 */
export interface FutureCallGraph {
  /** The future or task this node is about. */
  readonly future: Future<unknown>;
  /**
   * What `future` awaits, as a chain: the future the task is parked on first, then what that
   * one (if a task) is parked on, down to the leaf — `task.getStack()`. Empty for a plain future
   * and for a task that is running or about to run. (3.14 lists coroutine frames here; JS cannot
   * see a suspended generator's frames, and this chain is what they would show.)
   */
  readonly callStack: readonly Future<unknown>[];
  /** The tasks (and recorded waiters) awaiting `future`, each with its own graph. */
  readonly awaitedBy: readonly FutureCallGraph[];
}

/**
 * Options of `captureCallGraph`, `formatCallGraph` and `printCallGraph`.
 *
 * @example
 * printCallGraph(task, { limit: -1 }); // only the leaf each task waits on
 */
export interface CallGraphOptions {
  /**
   * Keep at most `|limit|` entries of each `callStack` (3.14's `limit`): a positive limit keeps
   * the entries nearest the task (what it awaits directly), a negative one the innermost (the
   * leaf end), `0` none. `null`/absent keeps all.
   */
  limit?: number | null;
}

function readLimit(fn: string, options: unknown): number | null {
  if (options === null || typeof options !== "object") {
    throw new TypeError(`${fn}(future, options): options must be an object, got ${describe(options)}`);
  }
  const limit = (options as CallGraphOptions).limit;
  if (limit == null) return null;
  if (typeof limit !== "number" || !Number.isInteger(limit)) {
    throw new TypeError(`${fn}(future, options): options.limit must be an integer or null, got ${describe(limit)}`);
  }
  return limit;
}

function gatherChildren(g: GatheringFuture<unknown>): readonly Future<unknown>[] {
  // GatheringFuture keeps its children in a TS-private field; read-only use, for debugging
  return (g as unknown as { _children: Future<unknown>[] })._children;
}

/** Everything a gather waits on, through nested gathers (`gather(gather(a, b), c)`). */
function gatherMembers(g: GatheringFuture<unknown>, into = new Set<Future<unknown>>()): Set<Future<unknown>> {
  for (const c of gatherChildren(g)) {
    if (into.has(c)) continue;
    into.add(c);
    if (c instanceof GatheringFuture) gatherMembers(c, into);
  }
  return into;
}

/** The pending futures/tasks awaiting `fut`, in the loop's task order, then recorded ones. */
function awaitersOf(fut: Future<unknown>): Future<unknown>[] {
  const found = new Set<Future<unknown>>();
  for (const t of fut._loop._tasks) {
    if (t.done()) continue;
    const w = t._futWaiter;
    if (w === null) continue;
    if (w === fut) found.add(t);
    else if (w instanceof GatheringFuture && !w.done() && gatherMembers(w).has(fut)) found.add(t);
  }
  const recorded = awaitedByRegistry.get(fut);
  if (recorded !== undefined) for (const w of recorded) if (!w.done()) found.add(w);
  return Array.from(found);
}

function trim(stack: Future<unknown>[], limit: number | null): Future<unknown>[] {
  if (limit === null) return stack;
  if (limit === 0) return [];
  return limit > 0 ? stack.slice(0, limit) : stack.slice(limit);
}

function build(fut: Future<unknown>, limit: number | null, path: Set<Future<unknown>>): FutureCallGraph {
  path.add(fut);
  const callStack = fut instanceof Task ? trim(fut.getStack() as Future<unknown>[], limit) : [];
  const awaitedBy: FutureCallGraph[] = [];
  // a cycle (a child awaiting its own group's parent) is cut where it closes
  for (const w of awaitersOf(fut)) if (!path.has(w)) awaitedBy.push(build(w, limit, path));
  path.delete(fut);
  return Object.freeze({ future: fut, callStack: Object.freeze(callStack), awaitedBy: Object.freeze(awaitedBy) });
}

/**
 * The call graph of `future` (default: the current task): what it awaits (`callStack`) and,
 * recursively, who awaits it (`awaitedBy`) — asyncio 3.14's `capture_call_graph`. Returns `null`
 * when called without a future outside any task; throws `RuntimeError` without a future and
 * without a running loop, `TypeError` for something that is not a Future.
 *
 * @example
 * const g = captureCallGraph(task)!;
 * console.log(g.callStack.map(String), g.awaitedBy.map((a) => a.future));
 */
export function captureCallGraph(future?: Future<unknown> | null, options: CallGraphOptions = {}): FutureCallGraph | null {
  const limit = readLimit("captureCallGraph", options);
  if (future != null) {
    if (!(future instanceof Future)) {
      throw new TypeError(`captureCallGraph(future): future must be a Future or a Task, got ${describe(future)}`);
    }
    return build(future, limit, new Set());
  }
  const loop = _getRunningLoop();
  if (loop === null) {
    throw new RuntimeError(
      "captureCallGraph() is called outside of a running event loop and no future to introspect was provided",
    );
  }
  const task = loop._currentTask;
  return task === null ? null : build(task, limit, new Set());
}

// Stable small ids for futures in reports (JS has no addresses; 3.14 prints id()).
const ids = new WeakMap<object, number>();
let nextId = 1;
function idOf(fut: Future<unknown>): number {
  let id = ids.get(fut);
  if (id === undefined) ids.set(fut, (id = nextId++));
  return id;
}

/** `Task(name='x', id=3)` / `Future(id=4)`, plus what is not implied: running, done, cancelling. */
function label(fut: Future<unknown>): string {
  let text: string;
  if (fut instanceof Task) {
    text = `Task(name='${fut.getName()}', id=${idOf(fut)})`;
    if (fut._loop._currentTask === fut) text += " running";
    const n = fut.cancelling();
    if (n > 0 && !fut.done()) text += ` cancelling=${n}`;
  } else {
    text = `${fut.constructor.name}(id=${idOf(fut)})`;
  }
  if (fut.cancelled()) text += " cancelled";
  else if (fut.done()) text += " done";
  return text;
}

function renderGraph(g: FutureCallGraph, lines: string[], level: number): void {
  const pad = "    ".repeat(level);
  lines.push(`${pad}* ${label(g.future)}`);
  if (g.callStack.length > 0) {
    lines.push(`${pad}  + Call stack:`);
    for (const f of g.callStack) lines.push(`${pad}  |   awaits ${label(f)}`);
  }
  if (g.awaitedBy.length > 0) {
    lines.push(`${pad}  + Awaited by:`);
    for (const a of g.awaitedBy) renderGraph(a, lines, level + 1);
  }
}

/**
 * `captureCallGraph` as text, in asyncio 3.14's `format_call_graph` layout (`""` when there is
 * no graph):
 *
 * ```text
 * * Task(name='child', id=2)
 *   + Call stack:
 *   |   awaits Future(id=3)
 *   + Awaited by:
 *       * Task(name='main', id=1)
 *         + Call stack:
 *         |   awaits Task(name='child', id=2)
 *         |   awaits Future(id=3)
 * ```
 *
 * @example
 * const text = formatCallGraph(task, { limit: 3 });
 */
export function formatCallGraph(future?: Future<unknown> | null, options: CallGraphOptions = {}): string {
  readLimit("formatCallGraph", options);
  const graph = captureCallGraph(future, options);
  if (graph === null) return "";
  const lines: string[] = [];
  renderGraph(graph, lines, 0);
  return lines.join("\n");
}

/**
 * Print `formatCallGraph(future, options)` with `console.log` (asyncio 3.14's
 * `print_call_graph`; default: the current task).
 *
 * @example
 * function* stuck() { printCallGraph(); yield* sleep(1); }
 */
export function printCallGraph(future?: Future<unknown> | null, options: CallGraphOptions = {}): void {
  console.log(formatCallGraph(future, options));
}

/**
 * Every pending task of `loop` (default: the running loop) as a tree: each root task — one no
 * other task awaits — with what it awaits indented under it: the future or task it is parked on
 * (a gather with its children), and the children of the task groups it runs. A node shown
 * earlier is marked `(see above)` instead of being expanded again. Returns `""` when the loop
 * has no pending task.
 *
 * ```text
 * Task(name='main', id=1)
 * ├── Future(id=2)
 * ├── Task(name='a', id=3)
 * │   └── Future(id=4)
 * └── Task(name='b', id=5)
 *     └── Task(name='a', id=3) (see above)
 * ```
 *
 * @example
 * loop.callLater(30, () => console.error(dumpTasks(loop))); // what is everyone waiting for?
 */
export function dumpTasks(loop?: EventLoop | null): string {
  if (loop != null && !(loop instanceof EventLoop)) {
    throw new TypeError(`dumpTasks(loop): loop must be an EventLoop, got ${describe(loop)}`);
  }
  const lp = loop ?? getRunningLoop();
  const tasks: Task<unknown>[] = [];
  for (const t of lp._tasks) if (!t.done()) tasks.push(t);
  if (tasks.length === 0) return "";

  // waiter -> pending tasks recorded as awaited by it (TaskGroup parent -> children)
  const recordedChildren = new Map<Future<unknown>, Future<unknown>[]>();
  for (const t of tasks) {
    const waiters = awaitedByRegistry.get(t);
    if (waiters === undefined) continue;
    for (const w of waiters) {
      if (w.done()) continue;
      let list = recordedChildren.get(w);
      if (list === undefined) recordedChildren.set(w, (list = []));
      list.push(t);
    }
  }

  const children = (node: Future<unknown>): Future<unknown>[] => {
    const out: Future<unknown>[] = [];
    let viaGather: ReadonlySet<Future<unknown>> = new Set();
    if (node instanceof Task && node._futWaiter !== null) {
      out.push(node._futWaiter);
      if (node._futWaiter instanceof GatheringFuture) viaGather = gatherMembers(node._futWaiter);
    }
    if (node instanceof GatheringFuture) {
      for (const c of gatherChildren(node)) if (!c.done() && !out.includes(c)) out.push(c);
    }
    // recorded children already shown under the gather the node waits on are not repeated
    for (const c of recordedChildren.get(node) ?? []) if (!viaGather.has(c) && !out.includes(c)) out.push(c);
    return out;
  };

  // everything some task waits on, directly or through (nested) gathers, is not a root
  const awaited = new Set<Future<unknown>>();
  const mark = (node: Future<unknown>): void => {
    for (const c of children(node)) {
      if (awaited.has(c)) continue;
      awaited.add(c);
      if (!(c instanceof Task)) mark(c);
    }
  };
  for (const t of tasks) mark(t);

  const lines: string[] = [];
  const shown = new Set<Future<unknown>>();
  const render = (node: Future<unknown>, head: string, indent: string): void => {
    if (shown.has(node)) {
      lines.push(`${head}${label(node)} (see above)`);
      return;
    }
    shown.add(node);
    lines.push(head + label(node));
    const kids = children(node);
    kids.forEach((kid, i) => {
      const last = i === kids.length - 1;
      render(kid, indent + (last ? "└── " : "├── "), indent + (last ? "    " : "│   "));
    });
  };
  for (const t of tasks) if (!awaited.has(t)) render(t, "", "");
  // tasks that only await each other in a cycle have no root: show them too
  for (const t of tasks) if (!shown.has(t)) render(t, "", "");
  return lines.join("\n");
}

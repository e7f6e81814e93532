// What ran, iteration by iteration: the record explore's determinism check compares and shrink's
// report reads. A `ScheduleRecorder` is the loop's batch tracer (`loop._tracer`): it sees every
// batch in FIFO order and as the schedule ordered it, and counts where the tape stands (each
// batch of n handles takes n - 1 choices, each `loop.random()` two). With `probe: true` it also
// notes, for every task, the `yield*` it is suspended at — the function, file and line of the
// user's frame — and what it awaited there.
//
// JS cannot list a suspended generator's frames, but the frames are on the stack at the moment a
// coroutine starts waiting: `yield* x` calls `x[Symbol.iterator]()` from inside the user's
// generator. So the probe, for the length of one traced run only, wraps the `[Symbol.iterator]`
// of Future (tasks included) and of sleep(0)'s coroutine and takes a stack there. The wrapper is
// removed when the run ends; outside a traced run nothing is wrapped and nothing is paid.

import { Future } from "../tasks/futures.js";
import { Task, sleep } from "../tasks/tasks.js";
import { _getRunningLoop } from "../loop/running.js";
import type { EventLoop } from "../loop/event-loop.js";
import { RuntimeError } from "../errors.js";

/** One stack frame of user code. */
export interface Frame {
  /** The function's name (`withdraw`), or `<anonymous>`. */
  fn: string;
  /** The file as the host names it (a path or URL). */
  file: string;
  line: number;
  column: number;
}

/** Where a task waits: what it awaited and the user frames of that `yield*`, innermost first. */
export interface Suspension {
  /** `sleep(0)`, `<Future pending>`, `<Task pending name='x'>`… */
  awaited: string;
  frames: Frame[];
}

/** One iteration that ran something. */
export interface BatchRecord {
  iteration: number;
  /** `loop.time()` when the iteration began. */
  time: number;
  /** What each handle runs for (a Task, a Future's callbacks, a callback function), in FIFO order. */
  fifo: unknown[];
  /** The same, in the order they ran. */
  ran: unknown[];
  /** The tape position of this batch's first ordering choice (n - 1 choices follow when n > 1). */
  tapeAt: number;
  /** `loop.random()` draws made before this batch, counted from the start (two tape entries each). */
  randomsBefore: number;
  /** For each task in `ran`: where it was suspended when the iteration began (null: not known). */
  where: (Suspension | null)[];
  /**
   * For each task in `ran`: where its step stopped — the next `yield*`, `"done"` if the task
   * finished, null if not known (filled in when the next iteration begins).
   */
  until: (Suspension | "done" | null)[];
}

/** The run ran more iterations than allowed: a schedule that never ends (a livelock). */
export class StepLimitError extends RuntimeError {
  override name = "StepLimitError";
}

// ---- the probe ------------------------------------------------------------------------------------

type ProbeSink = (task: Task<unknown>, awaited: unknown, stack: string) => void;
let probeSink: ProbeSink | null = null;

/** The prototype of sleep(0)'s coroutine (a small object, not a generator). */
function sleepZeroPrototype(): object | null {
  const coro = sleep(0) as unknown as object; // outside a loop: a fresh, untracked coroutine
  const proto = Object.getPrototypeOf(coro) as object | null;
  if (proto === null || proto === Object.prototype) return null;
  return Object.prototype.hasOwnProperty.call(proto, Symbol.iterator) ? proto : null;
}

/** Wrap the awaitables' `[Symbol.iterator]` so each `yield*` reports its stack to `sink`; returns the undo. */
function installProbe(sink: ProbeSink): () => void {
  if (probeSink !== null) throw new RuntimeError("schedule recorder: a traced run is already in progress (traced runs do not nest)");
  probeSink = sink;
  const protos = [Future.prototype as object, sleepZeroPrototype()].filter((p): p is object => p !== null);
  const originals = protos.map((p) => Object.getOwnPropertyDescriptor(p, Symbol.iterator)!);
  protos.forEach((proto, k) => {
    const original = originals[k].value as (this: unknown) => unknown;
    Object.defineProperty(proto, Symbol.iterator, {
      configurable: true,
      writable: true,
      value: function probedIterator(this: unknown) {
        const task = _getRunningLoop()?._currentTask ?? null;
        if (task !== null && probeSink !== null) probeSink(task, this, new Error().stack ?? "");
        return original.call(this);
      },
    });
  });
  return () => {
    protos.forEach((proto, k) => Object.defineProperty(proto, Symbol.iterator, originals[k]));
    probeSink = null;
  };
}

// ---- frames ----------------------------------------------------------------------------------------

const FRAME = /^\s*at (?:(.*?) \()?(.*?):(\d+):(\d+)\)?$/;

/** The directory of wasyncio's own code (dist/ or src/), found from this function's own frame. */
let libraryDir: string | null | undefined;
function ownDir(): string | null {
  if (libraryDir !== undefined) return libraryDir;
  const line = (new Error().stack ?? "").split("\n").find((l) => FRAME.test(l));
  const file = line ? FRAME.exec(line)![2] : null;
  if (file === null) return (libraryDir = null);
  const src = file.lastIndexOf("/src/");
  libraryDir = src >= 0 ? file.slice(0, src + 5) : file.slice(0, file.lastIndexOf("/") + 1);
  return libraryDir;
}

/** The user's frames of a stack (wasyncio's own, the host's and node_modules' left out), innermost first. */
export function userFrames(stack: string, max = 4): Frame[] {
  const lib = ownDir();
  const frames: Frame[] = [];
  for (const text of stack.split("\n").slice(1)) {
    const m = FRAME.exec(text);
    if (m === null) continue;
    const file = m[2];
    if (file.startsWith("node:") || file === "<anonymous>" || file.includes("/node_modules/")) continue;
    if (lib !== null && file.startsWith(lib)) continue;
    let fn = m[1] ?? "<anonymous>";
    fn = fn.replace(/^(?:async )?(?:Generator|Object|Module)\./, "");
    frames.push({ fn, file, line: Number(m[3]), column: Number(m[4]) });
    if (frames.length >= max) break;
  }
  return frames;
}

function describeAwaited(awaited: unknown): string {
  if (awaited instanceof Future) return String(awaited);
  return "sleep(0)";
}

// ---- the recorder ---------------------------------------------------------------------------------

/**
 * A batch entry that runs a done future's callbacks (the loop names both a task's steps and its
 * done-callbacks by the task): one object per future, so entries compare by identity.
 */
export class CallbacksOf {
  constructor(readonly future: Future<unknown>) {}
}

/** How a recorder labels an owner so that two runs of one program can be compared. */
function kindOf(owner: unknown): string {
  if (owner instanceof CallbacksOf) return owner.future instanceof Task ? "task callbacks" : "future callbacks";
  if (owner instanceof Task) return "task";
  if (owner instanceof Future) return "future";
  if (typeof owner === "function") return `callback ${owner.name || "<anonymous>"}`;
  return "handle";
}

/**
 * Records what each iteration ran: the loop's batch tracer (`loop._tracer`, an internal
 * `BatchTracer` — not named here, so the published declarations need no internal type). Attach with `attach(loop)` from inside the run (the first
 * iteration, the main task's first step, is recorded by `attach` itself); `detach()` when the
 * run ended (it also removes the probe).
 */
export class ScheduleRecorder {
  readonly records: BatchRecord[] = [];
  /** Iterations that ran something, all told (with `keep: false` nothing else is kept). */
  steps = 0;
  private fifo: unknown[] = [];
  private tapePos = 0;
  private randoms = 0;
  private readonly suspended = new Map<Task<unknown>, Suspension>();
  private readonly ordinals = new Map<unknown, string>();
  private readonly counts = new Map<string, number>();
  private readonly callbacks = new Map<Future<unknown>, CallbacksOf>();
  private undo: (() => void) | null = null;
  private loop: EventLoop | null = null;

  /**
   * @param options.keep keep a record per iteration (default true); false only counts (a step limit)
   * @param options.probe note where each task is suspended (default false)
   * @param options.limit iterations allowed before the run is ended with StepLimitError
   */
  constructor(private readonly options: { keep?: boolean; probe?: boolean; limit?: number } = {}) {}

  attach(loop: EventLoop, mainTask: Task<unknown> | null): void {
    this.loop = loop;
    loop._tracer = this;
    if (this.options.keep !== false && mainTask !== null) {
      // the first iteration ran before the tracer could be attached: the main task's first step
      this.records.push({ iteration: loop.iteration, time: loop.time(), fifo: [mainTask], ran: [mainTask], tapeAt: 0, randomsBefore: 0, where: [null], until: [] });
    }
    this.steps = 1;
    if (this.options.keep !== false) {
      const proto = Object.getPrototypeOf(loop) as EventLoop;
      // count loop.random() draws (two tape entries each) to place every choice on the tape
      (loop as { random: () => number }).random = () => {
        this.randoms++;
        this.tapePos += 2;
        return proto.random.call(loop);
      };
    }
    if (this.options.probe) {
      this.undo = installProbe((task, awaited, stack) => {
        if (task._loop !== loop) return;
        this.suspended.set(task, { awaited: describeAwaited(awaited), frames: userFrames(stack) });
      });
    }
  }

  detach(): void {
    this.settleLast();
    if (this.undo !== null) this.undo();
    this.undo = null;
    if (this.loop !== null && this.loop._tracer === this) this.loop._tracer = null;
  }

  before(iteration: number, batch: Uint32Array, n: number, owner: (slot: number) => unknown): void {
    if (++this.steps > (this.options.limit ?? Infinity)) {
      if (this.steps === this.options.limit! + 1 || this.steps > 2 * this.options.limit!) {
        // thrown once, then again only if cancelling what is left spins as long again
        throw new StepLimitError(`the run did not end within ${this.options.limit} iterations (a schedule that never finishes?)`);
      }
    }
    if (this.options.keep === false) return;
    this.settleLast();
    const fifo = new Array<unknown>(n);
    for (let k = 0; k < n; k++) fifo[k] = this.entry(owner(batch[k]));
    this.fifo = fifo;
  }

  after(iteration: number, batch: Uint32Array, n: number, owner: (slot: number) => unknown): void {
    if (this.options.keep === false) return;
    const ran = new Array<unknown>(n);
    const where = new Array<Suspension | null>(n);
    for (let k = 0; k < n; k++) {
      const o = this.entry(owner(batch[k]));
      ran[k] = o;
      where[k] = o instanceof Task ? (this.suspended.get(o) ?? null) : null;
      if (o instanceof Task) this.suspended.delete(o); // it steps now: its next wait is noted afresh
      this.label(o);
    }
    for (const o of this.fifo) this.label(o);
    this.records.push({ iteration, time: this.loop!.time(), fifo: this.fifo, ran, tapeAt: this.tapePos, randomsBefore: this.randoms, where, until: [] });
    if (n > 1) this.tapePos += n - 1;
  }

  /** What an entry runs: a task's step (the Task), or a done future's callbacks (CallbacksOf). */
  private entry(o: unknown): unknown {
    if (!(o instanceof Future) || !o.done()) return o;
    let c = this.callbacks.get(o);
    if (c === undefined) this.callbacks.set(o, (c = new CallbacksOf(o)));
    return c;
  }

  /** The last batch has run: note where each of its tasks stopped. */
  private settleLast(): void {
    const last = this.records.at(-1);
    if (last === undefined || last.until.length === last.ran.length) return;
    last.until = last.ran.map((o) => (o instanceof Task ? (o.done() ? "done" : (this.suspended.get(o) ?? null)) : null));
  }

  /** A label for `owner` that is the same in every run of the same program: `task#3`, `callback f#1`. */
  label(owner: unknown): string {
    let label = this.ordinals.get(owner);
    if (label === undefined) {
      const kind = kindOf(owner);
      const k = (this.counts.get(kind) ?? 0) + 1;
      this.counts.set(kind, k);
      label = `${kind}#${k}`;
      this.ordinals.set(owner, label);
    }
    return label;
  }
}

/** A person's name for what a batch entry runs for: `Task 'bob'`, `callback tick()`, `<Future …> callbacks`. */
export function describeOwner(owner: unknown): string {
  if (owner instanceof CallbacksOf) {
    const f = owner.future;
    return f instanceof Task ? `the done-callbacks of Task '${f.getName()}'` : `the done-callbacks of ${f}`;
  }
  if (owner instanceof Task) return `Task '${owner.getName()}'`;
  if (owner instanceof Future) return `a callback for ${owner}`;
  if (typeof owner === "function") {
    const name = owner.name || "<anonymous>";
    return name === "_deliver" ? "a host event" : `callback ${name}()`;
  }
  return "a handle";
}

/** The host's working directory when it has one (Node, Deno, Bun), for shorter paths in reports. */
export function hostCwd(): string | undefined {
  try {
    const proc = (globalThis as { process?: { cwd?: () => string } }).process;
    return typeof proc?.cwd === "function" ? proc.cwd() : undefined;
  } catch {
    return undefined; // Deno without --allow-read
  }
}

/** `withdraw (examples/bank/bank.mjs:14:12)`, the path relative to `cwd` when under it. */
export function formatFrame(frame: Frame, cwd?: string): string {
  let file = frame.file.startsWith("file://") ? decodeURIComponent(frame.file.slice(7)) : frame.file;
  if (cwd && file.startsWith(cwd.endsWith("/") ? cwd : cwd + "/")) file = file.slice(cwd.length + (cwd.endsWith("/") ? 0 : 1));
  return `${frame.fn} (${file}:${frame.line}:${frame.column})`;
}

// Schedules and the choice tape.
//
// Under `schedule: 'fifo'` (the default) each iteration runs its ready handles in the order they
// became ready, as asyncio does, and nothing here runs. Every other schedule permutes each
// iteration's batch with a Fisher–Yates walk from the back: for i = n-1 … 1, pick j in [0, i] and
// swap positions i and j. The pick is written as the choice `c = i - j`, so `c = 0` leaves the
// handle where FIFO put it: **FIFO is the tape of all-zero choices**. `loop.random()` draws are
// choices too (two 32-bit entries per float). The list of choices a run made is its tape
// (`loop.tape()`); `schedule: tape` replays it, and a tape that runs out continues as FIFO, so an
// edited or shrunk tape is always a valid schedule.
//
// Strategies:
// - `random`: j = nextU32() % (i + 1) from the loop's seeded generator (the same draws the core
//   made when it shuffled batches itself, so a seed gives the same schedule as before);
// - `pct`: probabilistic concurrency testing (Burckhardt et al., ASPLOS 2010): every task (or
//   callback) gets a random priority when first seen, the batch runs highest first, and at
//   `depth - 1` randomly chosen steps the task about to run first drops below every other. A bug
//   that needs d specific orderings is found with probability ≥ 1/(n·k^(d-1)), where a uniform
//   random walk can be exponentially worse;
// - a `Tape`: the choices, in order.

import { ValueError, describe } from "../errors.js";

/** The version of the tape format (`Tape.toJSON()`); a tape with a newer one is refused. */
export const TAPE_VERSION = 1;

/**
 * The choices a run made: replaying them reproduces the run's schedule and `loop.random()` draws.
 *
 * @example
 * const loop = newEventLoop({ schedule: "random", seed: 7 }); … const tape = loop.tape();
 * runSync(main, { schedule: tape }); // the same interleaving again
 */
export class Tape {
  readonly version = TAPE_VERSION;
  readonly choices: readonly number[];

  constructor(choices: Iterable<number>) {
    const list = Array.from(choices);
    for (let k = 0; k < list.length; k++) {
      const c = list[k];
      if (typeof c !== "number" || !Number.isInteger(c) || c < 0 || c > 0xffffffff) {
        throw new ValueError(`Tape(choices): entry ${k} must be an integer from 0 to 2^32-1, got ${describe(c)}`);
      }
    }
    this.choices = list;
  }

  /** How many choices differ from FIFO (are not zero). */
  deviations(): number {
    let n = 0;
    for (const c of this.choices) if (c !== 0) n++;
    return n;
  }

  toJSON(): { version: number; choices: readonly number[] } {
    return { version: this.version, choices: this.choices };
  }

  /** `{ version, choices }` (or its JSON text), or a plain array of choices. */
  static from(value: unknown): Tape {
    if (value instanceof Tape) return value;
    let data = value;
    if (typeof data === "string") {
      try {
        data = JSON.parse(data);
      } catch (exc) {
        throw new ValueError(`Tape.from(text): not JSON: ${(exc as Error).message}`);
      }
    }
    if (Array.isArray(data)) return new Tape(data);
    if (data === null || typeof data !== "object" || !Array.isArray((data as { choices?: unknown }).choices)) {
      throw new ValueError(`Tape.from(value): expected { version, choices: number[] } or an array, got ${describe(value)}`);
    }
    const version = (data as { version?: unknown }).version;
    if (typeof version !== "number" || version > TAPE_VERSION || version < 1) {
      throw new ValueError(`Tape.from(value): tape version ${describe(version)} is not supported (this wasyncio reads version ${TAPE_VERSION})`);
    }
    return new Tape((data as { choices: number[] }).choices);
  }

  toString(): string {
    return `<Tape ${this.choices.length} choices, ${this.deviations()} off FIFO>`;
  }
}

/** The loop's generator, as the strategies see it. */
export interface Draws {
  nextU32(): number;
}

/** A non-FIFO schedule: permutes batches and serves `loop.random()`, writing both on its tape. */
export abstract class Strategy {
  /** Every choice made so far (the tape of this run). */
  readonly choices: number[] = [];
  /**
   * A bad tape found mid-iteration: the strategy continues as FIFO (so no ready handle is
   * lost) and the loop raises this once the iteration has run.
   */
  failure: Error | null = null;
  /** Batches with more than one handle seen so far (PCT's steps). */
  protected step = 0;

  /** Permute `batch[0..n)` in place (n > 1). `owner(slot)` names what a slot runs for (its task). */
  abstract order(batch: Uint32Array, n: number, owner: (slot: number) => unknown): void;
  /** One 32-bit draw for `loop.random()` (recorded). */
  protected abstract draw32(): number;

  /** A float in [0, 1) with 53 bits, built exactly as the core's `random()`. */
  random(): number {
    const a = this.draw32() >>> 5;
    const b = this.draw32() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }

  /** Apply the choice `c` at position `i` (swap i with i - c) and record it. */
  protected apply(batch: Uint32Array, i: number, c: number): void {
    this.choices.push(c);
    if (c === 0) return;
    const j = i - c;
    const t = batch[i];
    batch[i] = batch[j];
    batch[j] = t;
  }
}

/** `schedule: 'random'`: a seeded uniform permutation of every batch. */
export class RandomStrategy extends Strategy {
  constructor(private readonly rng: Draws) {
    super();
  }

  order(batch: Uint32Array, n: number): void {
    this.step++;
    for (let i = n - 1; i > 0; i--) this.apply(batch, i, i - (this.rng.nextU32() % (i + 1)));
  }

  protected draw32(): number {
    const u = this.rng.nextU32();
    this.choices.push(u);
    return u;
  }
}

/** `schedule: 'pct'`: random priorities with `depth - 1` priority change points. */
export class PctStrategy extends Strategy {
  private readonly priorities = new Map<unknown, number>();
  private readonly changeAt = new Set<number>();
  private low: number;

  /**
   * @param depth the bug depth PCT targets (default 3): `depth - 1` change points
   * @param horizon the steps (batches of two or more) over which change points are spread
   */
  constructor(
    private readonly rng: Draws,
    depth: number,
    horizon = 1000,
  ) {
    super();
    this.low = depth; // priorities after a change point: depth-1, depth-2, … (below every initial one)
    for (let k = 1; k < depth; k++) this.changeAt.add(rng.nextU32() % horizon);
  }

  private priority(owner: unknown): number {
    let p = this.priorities.get(owner);
    if (p === undefined) {
      // initial priorities sit above every changed one: depth + [0, 2^32)
      p = this.low + 1 + this.rng.nextU32();
      this.priorities.set(owner, p);
    }
    return p;
  }

  order(batch: Uint32Array, n: number, owner: (slot: number) => unknown): void {
    const prio = new Float64Array(n);
    let top = 0;
    for (let k = 0; k < n; k++) {
      prio[k] = this.priority(owner(batch[k]));
      if (prio[k] > prio[top]) top = k;
    }
    if (this.changeAt.has(this.step)) {
      // a change point: what would run first now drops below everything else
      const p = --this.low;
      this.priorities.set(owner(batch[top]), p);
      prio[top] = p;
    }
    this.step++;
    // target order: highest priority first (ties keep FIFO order)
    const target = Array.from({ length: n }, (_, k) => k).sort((x, y) => prio[y] - prio[x] || x - y);
    // realise it with Fisher–Yates choices from the back: position i takes target[i]
    const at = new Int32Array(n); // where each original index is now
    const holds = new Int32Array(n); // which original index each position holds
    for (let k = 0; k < n; k++) at[k] = holds[k] = k;
    for (let i = n - 1; i > 0; i--) {
      const want = target[i];
      const j = at[want];
      this.apply(batch, i, i - j);
      const moved = holds[i];
      holds[j] = moved;
      at[moved] = j;
      holds[i] = want;
      at[want] = i;
    }
  }

  protected draw32(): number {
    const u = this.rng.nextU32();
    this.choices.push(u);
    return u;
  }
}

/** `schedule: tape`: the choices of a tape, then FIFO when it runs out. */
export class TapeStrategy extends Strategy {
  private next = 0;
  constructor(private readonly tape: Tape) {
    super();
  }

  private take(): number {
    const k = this.next++;
    return k < this.tape.choices.length ? this.tape.choices[k] : 0;
  }

  order(batch: Uint32Array, n: number): void {
    this.step++;
    for (let i = n - 1; i > 0; i--) {
      const k = this.next;
      let c = this.take();
      if (c > i) {
        this.failure ??= new ValueError(
          `schedule tape: entry ${k} is ${c}, but it chooses among ${i + 1} ready handles (0 to ${i}): the tape does not belong to this program, or was edited out of range`,
        );
        this.next = this.tape.choices.length; // the rest of the run is FIFO
        c = 0;
      }
      this.apply(batch, i, c);
    }
  }

  protected draw32(): number {
    const u = this.take();
    this.choices.push(u);
    return u;
  }
}

// The scheduler core's boundary: one interface of numbers (ChainSafe as-sha256 style).
// Two implementations: the Wasm core (`wasm.ts`, compiled from `assembly/index.ts`) and the
// pure-TS reference core (`reference.ts`). They must agree op for op; a property test checks it.

/** Which core a loop runs on. `wasm` is the default; `js` is the reference oracle. */
export type CoreKind = "wasm" | "js";

/**
 * A scheduler core. Handle ids are `gen * 2^32 + slot` (exact f64); the host indexes its
 * callback arrays by `slot = id % 2^32`. Times are seconds on the loop's clock.
 */
export interface SchedulerCore {
  readonly kind: CoreKind;
  /** Enqueue a ready handle (callSoon); returns its id. */
  soon(): number;
  /** Insert a timer at `when` seconds (never NaN); returns its id. */
  at(when: number): number;
  /** 1 if `id` named a live, uncancelled handle (the host drops its callback), else 0. */
  cancel(id: number): number;
  /** 1 if `id` names a live handle that is not cancelled. */
  isPending(id: number): number;
  /** Start an iteration at `now`: recycle the last batch, move due timers, fill the batch. */
  tick(now: number): number;
  /** Recycle the current batch's slots now (the loop stopped; tick does it otherwise). */
  release(): void;
  /** The slots of the current batch; valid until the next core call (memory may move). */
  batch(): Uint32Array;
  /** Handles waiting in the ready ring (they run at the next tick). */
  readyLen(): number;
  /** Timers in the heap. */
  timerLen(): number;
  /** Earliest timer deadline in seconds, or Infinity. */
  nextDeadline(): number;
  /** Handles allocated (ready, timer or in the current batch). */
  liveCount(): number;
  /** Checksum of the state at the last tick (needs setChecksum(1)). */
  checksum(): number;
  seed(lo: number, hi: number): void;
  random(): number;
  /** The next 32 bits of the seeded generator (an unsigned integer). */
  nextU32(): number;
  setChecksum(on: number): void;
  /** Drop every handle and timer; old ids become stale. */
  reset(): void;
  /** The loop is closed and will not use this core again (the Wasm core is reused by a later loop). */
  dispose(): void;
}

/** Byte offsets of the core's STATE block, generated from assembly/index.ts. */
export { State, CORE_EXPORTS } from "./layout.generated.js";

/** 2^32: ids are `gen * SLOT_SPAN + slot`. */
export const SLOT_SPAN = 4294967296;

// The wasyncio scheduler core: handle table, ready ring, timer heap.
//
// Only numbers cross this boundary. The TypeScript host keeps callbacks, arguments and
// coroutines in its own arrays indexed by *slot*; this module decides which slots run when.
// `src/core/reference.ts` is the same algorithm in plain TypeScript (the oracle and the
// benchmark's ablation); change both together — the property test compares them op by op.
//
// Memory map (all little-endian; "ptr" regions are heap blocks that move when they grow,
// and their current address is published in the STATE block so the host can re-make views):
//
//   STATE (static, 64 bytes, 16-aligned) — read by the host through typed-array views, no calls
//   ┌──────────────┬──────────────┬──────────────┬──────────────┐
//   │ 0 readyLen   │ 4 timerLen   │ 8 batchLen   │ 12 batchPtr  │  u32 each
//   ├──────────────┼──────────────┼──────────────┼──────────────┤
//   │ 16 liveCount │ 20 slotHigh  │ 24 checksum  │ 28 (spare)   │  u32 each
//   ├──────────────┴──────────────┼──────────────┴──────────────┤
//   │ 32 nextDeadline (f64, s)    │ 40 (spare)                  │  +Infinity when no timers
//   └─────────────────────────────┴─────────────────────────────┘
//
//   SLOTS  — the handle table, SLOT_BYTES per slot, grows by doubling
//   ┌─────────┬─────────┬──────────────────────────────────────┬─────────┐
//   │ 0 gen   │ 4 flags │ 8 heap index (timer) / next free slot │ 12 pad  │
//   └─────────┴─────────┴──────────────────────────────────────┴─────────┘
//
//   RING   — ready queue: u32 slots, power-of-two capacity, head + readyLen, grows by doubling
//   HEAP   — timer min-heap of ENTRY_BYTES entries ordered by (when, seq):
//   ┌────────────────┬────────────────┬─────────┬─────────┐
//   │ 0 when (f64 s) │ 8 seq (u64)    │ 16 slot │ 20 pad  │
//   └────────────────┴────────────────┴─────────┴─────────┘
//   BATCH  — u32 slots the host runs this iteration (written by tick), grows to fit
//
// A handle id is `gen * 2^32 + slot` as an f64 (exact: gen < 2^21). A slot is recycled only after
// the host can no longer run it (a timer removed from the heap, or a batch entry at the next
// tick), and recycling bumps its generation, so a stale id never matches a reused slot. A slot
// whose generation reaches GEN_LIMIT is retired instead of reused.
//
// Timer cancellation policy: indexed removal. Every slot in the heap knows its heap index, so
// `cancel` removes the entry in O(log n) at once — no tombstones, no rebuild threshold, and the
// heap (and its checksum) only ever holds live timers.
//
// One iteration (`tick`), like asyncio's `_run_once` and libuv's `uv__run_timers`:
//   1. release the previous batch's slots (they have run; `release()` does it early on stop);
//   2. move every timer with when <= now to the back of the ready ring, in (when, seq) order;
//   3. snapshot exactly the handles ready now into BATCH (cancelled ones are dropped and freed);
//      handles scheduled while the host runs the batch wait for the next tick (asyncio's ntodo);
//   (a random or PCT schedule permutes the batch on the host, drawing from nextU32(), so that
//   every choice can be written on the tape)

// ---- layout constants -------------------------------------------------------------------------

// @ts-ignore: decorator
@inline const ST_READY_LEN: usize = 0;
// @ts-ignore: decorator
@inline const ST_TIMER_LEN: usize = 4;
// @ts-ignore: decorator
@inline const ST_BATCH_LEN: usize = 8;
// @ts-ignore: decorator
@inline const ST_BATCH_PTR: usize = 12;
// @ts-ignore: decorator
@inline const ST_LIVE: usize = 16;
// @ts-ignore: decorator
@inline const ST_SLOT_HIGH: usize = 20;
// @ts-ignore: decorator
@inline const ST_CHECKSUM: usize = 24;
// @ts-ignore: decorator
@inline const ST_NEXT_DEADLINE: usize = 32;

// @ts-ignore: decorator
@inline const SLOT_BYTES: usize = 16;
// @ts-ignore: decorator
@inline const SL_GEN: usize = 0;
// @ts-ignore: decorator
@inline const SL_FLAGS: usize = 4;
// @ts-ignore: decorator
@inline const SL_LINK: usize = 8;

// @ts-ignore: decorator
@inline const ENTRY_BYTES: usize = 24;
// @ts-ignore: decorator
@inline const EN_WHEN: usize = 0;
// @ts-ignore: decorator
@inline const EN_SEQ: usize = 8;
// @ts-ignore: decorator
@inline const EN_SLOT: usize = 16;

/** Slot flags. A free slot has flags 0. */
// @ts-ignore: decorator
@inline const F_LIVE: u32 = 1;
// @ts-ignore: decorator
@inline const F_READY: u32 = 2; // in the ready ring
// @ts-ignore: decorator
@inline const F_TIMER: u32 = 4; // in the timer heap
// @ts-ignore: decorator
@inline const F_BATCH: u32 = 8; // handed to the host in the current batch
// @ts-ignore: decorator
@inline const F_CANCELLED: u32 = 16;

/** Generations stay below 2^21 so `gen * 2^32 + slot` is an exact f64 (< 2^53). */
// @ts-ignore: decorator
@inline const GEN_LIMIT: u32 = 1 << 21;
// @ts-ignore: decorator
@inline const NO_SLOT: u32 = 0xffffffff;
// @ts-ignore: decorator
@inline const SLOT_SPAN: f64 = 4294967296.0;

// @ts-ignore: decorator
@inline const INITIAL_SLOTS: u32 = 64;
// @ts-ignore: decorator
@inline const INITIAL_RING: u32 = 64; // power of two
// @ts-ignore: decorator
@inline const INITIAL_HEAP: u32 = 64;
// @ts-ignore: decorator
@inline const INITIAL_BATCH: u32 = 64;

const STATE: usize = memory.data(64, 16);

// ---- private state (the public part lives in STATE) -------------------------------------------

let slotsPtr: usize = 0;
let slotCap: u32 = 0;
let freeHead: u32 = NO_SLOT;

let ringPtr: usize = 0;
let ringMask: u32 = 0; // capacity - 1
let ringHead: u32 = 0;

let heapPtr: usize = 0;
let heapCap: u32 = 0;
let nextSeq: u64 = 0;
let timerHash: u32 = 0; // XOR of entryHash over live timers (only while checksumOn): order-free, O(1) to update

let batchCap: u32 = 0;

let checksumOn: bool = false;
let rng0: u32 = 0;
let rng1: u32 = 0;
let rng2: u32 = 0;
let rng3: u32 = 0;

// ---- small helpers ----------------------------------------------------------------------------

// @ts-ignore: decorator
@inline function stGet(field: usize): u32 {
  return load<u32>(STATE + field);
}
// @ts-ignore: decorator
@inline function stSet(field: usize, value: u32): void {
  store<u32>(STATE + field, value);
}
// @ts-ignore: decorator
@inline function slotAt(slot: u32): usize {
  return slotsPtr + <usize>slot * SLOT_BYTES;
}
// @ts-ignore: decorator
@inline function entryAt(index: u32): usize {
  return heapPtr + <usize>index * ENTRY_BYTES;
}
// @ts-ignore: decorator
@inline function makeId(slot: u32): f64 {
  return <f64>load<u32>(slotAt(slot), SL_GEN) * SLOT_SPAN + <f64>slot;
}

/** murmur3's 32-bit finaliser; the reference core uses Math.imul to get the same bits. */
// @ts-ignore: decorator
@inline function fmix(h: u32): u32 {
  h ^= h >>> 16;
  h *= 0x85ebca6b;
  h ^= h >>> 13;
  h *= 0xc2b2ae35;
  h ^= h >>> 16;
  return h;
}

function entryHash(when: f64, seq: u64): u32 {
  const bits = reinterpret<u64>(when);
  return fmix(<u32>bits ^ fmix(<u32>(bits >>> 32) ^ fmix(<u32>seq ^ fmix(<u32>(seq >>> 32)))));
}

/** Allocate or enlarge a block, keeping its contents. */
function grow(ptr: usize, bytes: usize): usize {
  return ptr == 0 ? heap.alloc(bytes) : heap.realloc(ptr, bytes);
}

// ---- handle table -----------------------------------------------------------------------------

function allocSlot(flags: u32): u32 {
  let slot = freeHead;
  if (slot != NO_SLOT) {
    freeHead = load<u32>(slotAt(slot), SL_LINK);
  } else {
    slot = stGet(ST_SLOT_HIGH);
    if (slot == slotCap) growSlots();
    store<u32>(slotAt(slot), 0, SL_GEN);
    stSet(ST_SLOT_HIGH, slot + 1);
  }
  store<u32>(slotAt(slot), flags, SL_FLAGS);
  stSet(ST_LIVE, stGet(ST_LIVE) + 1);
  return slot;
}

function freeSlot(slot: u32): void {
  const p = slotAt(slot);
  const gen = load<u32>(p, SL_GEN) + 1;
  store<u32>(p, gen, SL_GEN);
  store<u32>(p, 0, SL_FLAGS);
  stSet(ST_LIVE, stGet(ST_LIVE) - 1);
  if (gen < GEN_LIMIT) {
    store<u32>(p, freeHead, SL_LINK);
    freeHead = slot;
  } // else: retired for good — its ids could no longer be told apart
}

function growSlots(): void {
  const cap = slotCap == 0 ? INITIAL_SLOTS : slotCap << 1;
  assert(cap > slotCap, "handle table overflow");
  slotsPtr = grow(slotsPtr, <usize>cap * SLOT_BYTES);
  slotCap = cap;
}

/** Resolve an id to its slot, or NO_SLOT when the id is stale, malformed or never issued. */
function resolve(id: f64): u32 {
  if (!(id >= 0) || id >= 9007199254740992.0) return NO_SLOT;
  const bits = <u64>id;
  if (<f64>bits != id) return NO_SLOT;
  const slot = <u32>bits;
  if (slot >= stGet(ST_SLOT_HIGH)) return NO_SLOT;
  const p = slotAt(slot);
  if (load<u32>(p, SL_GEN) != <u32>(bits >>> 32)) return NO_SLOT;
  if ((load<u32>(p, SL_FLAGS) & F_LIVE) == 0) return NO_SLOT;
  return slot;
}

// ---- ready ring -------------------------------------------------------------------------------

function ringPush(slot: u32): void {
  const len = stGet(ST_READY_LEN);
  if (len > ringMask) growRing();
  store<u32>(ringPtr + (<usize>((ringHead + len) & ringMask) << 2), slot);
  stSet(ST_READY_LEN, len + 1);
}

function growRing(): void {
  const oldCap = ringMask + 1;
  const cap: u32 = ringPtr == 0 ? INITIAL_RING : oldCap << 1;
  assert(cap > oldCap || ringPtr == 0, "ready ring overflow");
  const fresh = heap.alloc(<usize>cap << 2);
  if (ringPtr != 0) {
    // unwrap: [head, oldCap) then [0, head)
    const tail = oldCap - ringHead;
    memory.copy(fresh, ringPtr + (<usize>ringHead << 2), <usize>tail << 2);
    memory.copy(fresh + (<usize>tail << 2), ringPtr, <usize>ringHead << 2);
    heap.free(ringPtr);
  }
  ringPtr = fresh;
  ringMask = cap - 1;
  ringHead = 0;
}

// ---- timer heap -------------------------------------------------------------------------------

// @ts-ignore: decorator
@inline function entryLess(a: usize, b: usize): bool {
  const wa = load<f64>(a, EN_WHEN);
  const wb = load<f64>(b, EN_WHEN);
  return wa < wb || (wa == wb && load<u64>(a, EN_SEQ) < load<u64>(b, EN_SEQ));
}

// @ts-ignore: decorator
@inline function placeEntry(index: u32, when: f64, seq: u64, slot: u32): void {
  const e = entryAt(index);
  store<f64>(e, when, EN_WHEN);
  store<u64>(e, seq, EN_SEQ);
  store<u32>(e, slot, EN_SLOT);
  store<u32>(slotAt(slot), index, SL_LINK);
}

function siftUp(index: u32): void {
  const e = entryAt(index);
  const when = load<f64>(e, EN_WHEN);
  const seq = load<u64>(e, EN_SEQ);
  const slot = load<u32>(e, EN_SLOT);
  while (index > 0) {
    const parent = (index - 1) >> 1;
    const p = entryAt(parent);
    const pw = load<f64>(p, EN_WHEN);
    if (pw < when || (pw == when && load<u64>(p, EN_SEQ) < seq)) break;
    placeEntry(index, pw, load<u64>(p, EN_SEQ), load<u32>(p, EN_SLOT));
    index = parent;
  }
  placeEntry(index, when, seq, slot);
}

function siftDown(index: u32): void {
  const len = stGet(ST_TIMER_LEN);
  const e = entryAt(index);
  const when = load<f64>(e, EN_WHEN);
  const seq = load<u64>(e, EN_SEQ);
  const slot = load<u32>(e, EN_SLOT);
  while (true) {
    const left = (index << 1) + 1;
    if (left >= len) break;
    let child = left;
    const right = left + 1;
    if (right < len && entryLess(entryAt(right), entryAt(left))) child = right;
    const c = entryAt(child);
    const cw = load<f64>(c, EN_WHEN);
    if (when < cw || (when == cw && seq < load<u64>(c, EN_SEQ))) break;
    placeEntry(index, cw, load<u64>(c, EN_SEQ), load<u32>(c, EN_SLOT));
    index = child;
  }
  placeEntry(index, when, seq, slot);
}

function heapRemoveAt(index: u32): void {
  if (checksumOn) {
    const e = entryAt(index);
    timerHash ^= entryHash(load<f64>(e, EN_WHEN), load<u64>(e, EN_SEQ));
  }
  const last = stGet(ST_TIMER_LEN) - 1;
  stSet(ST_TIMER_LEN, last);
  if (index != last) {
    const l = entryAt(last);
    const lw = load<f64>(l, EN_WHEN);
    placeEntry(index, lw, load<u64>(l, EN_SEQ), load<u32>(l, EN_SLOT));
    if (index > 0 && entryLess(entryAt(index), entryAt((index - 1) >> 1))) siftUp(index);
    else siftDown(index);
  }
  publishDeadline();
}

function publishDeadline(): void {
  store<f64>(STATE + ST_NEXT_DEADLINE, stGet(ST_TIMER_LEN) > 0 ? load<f64>(heapPtr, EN_WHEN) : Infinity);
}

// ---- seeded generator: xoshiro128** (32-bit ops, so the reference core matches bit for bit) ---

/**
 * The next 32 bits of the seeded xoshiro128** generator. The host's schedule strategies draw
 * from it (a random schedule is a host-side Fisher–Yates over the batch, so every choice can
 * go on the tape), and `random()` builds its floats from it.
 */
export function nextU32(): u32 {
  const result = rotl<u32>(rng1 * 5, 7) * 9;
  const t = rng1 << 9;
  rng2 ^= rng0;
  rng3 ^= rng1;
  rng1 ^= rng2;
  rng0 ^= rng3;
  rng2 ^= t;
  rng3 = rotl<u32>(rng3, 11);
  return result;
}

function splitmix(x: u32): u32 {
  x += 0x9e3779b9;
  return fmix(x);
}

// ---- exports ----------------------------------------------------------------------------------

/** Address of the STATE block; fixed for the life of the instance. */
export function statePtr(): usize {
  return STATE;
}

/** Schedule a ready handle (callSoon). Returns its id. */
export function soon(): f64 {
  const slot = allocSlot(F_LIVE | F_READY);
  ringPush(slot);
  return makeId(slot);
}

/**
 * Schedule a timer at `when` seconds on the loop's clock (callAt). Returns its id. `when` must
 * be a number (the host rejects NaN); ±Infinity is allowed and orders as expected.
 */
export function at(when: f64): f64 {
  assert(when == when, "NaN deadline");
  const slot = allocSlot(F_LIVE | F_TIMER);
  const len = stGet(ST_TIMER_LEN);
  if (len == heapCap) {
    const cap = heapCap == 0 ? INITIAL_HEAP : heapCap << 1;
    heapPtr = grow(heapPtr, <usize>cap * ENTRY_BYTES);
    heapCap = cap;
  }
  const seq = nextSeq++;
  if (checksumOn) timerHash ^= entryHash(when, seq);
  stSet(ST_TIMER_LEN, len + 1);
  placeEntry(len, when, seq, slot);
  siftUp(len);
  publishDeadline();
  return makeId(slot);
}

/**
 * Cancel a handle. Returns 1 when the id named a live, not yet cancelled handle (the host must
 * then drop its callback), 0 for a stale, unknown or already cancelled id — which changes nothing.
 * A timer leaves the heap at once; a ready or in-batch handle is dropped when the ring drains.
 */
export function cancel(id: f64): i32 {
  const slot = resolve(id);
  if (slot == NO_SLOT) return 0;
  const p = slotAt(slot);
  const flags = load<u32>(p, SL_FLAGS);
  if (flags & F_CANCELLED) return 0;
  if (flags & F_TIMER) {
    heapRemoveAt(load<u32>(p, SL_LINK));
    freeSlot(slot);
    return 1;
  }
  store<u32>(p, flags | F_CANCELLED, SL_FLAGS);
  return 1;
}

/** 1 when `id` names a live handle that is not cancelled (scheduled, due or in the batch). */
export function isPending(id: f64): i32 {
  const slot = resolve(id);
  if (slot == NO_SLOT) return 0;
  return (load<u32>(slotAt(slot), SL_FLAGS) & F_CANCELLED) == 0 ? 1 : 0;
}

/**
 * Start an iteration at time `now` (seconds): release the last batch, move due timers
 * (when <= now) to the ready ring, and write the handles to run into BATCH. Returns the batch
 * length; STATE's batchPtr says where it is.
 */
export function tick(now: f64): i32 {
  // 1. the previous batch has run: recycle its slots
  release();

  // 2. due timers join the ready queue behind what is already there
  let timers = stGet(ST_TIMER_LEN);
  if (timers > 0 && load<f64>(heapPtr, EN_WHEN) <= now) {
    do {
      const slot = load<u32>(heapPtr, EN_SLOT);
      heapRemoveAt(0);
      store<u32>(slotAt(slot), F_LIVE | F_READY, SL_FLAGS);
      ringPush(slot);
      timers--;
    } while (timers > 0 && load<f64>(heapPtr, EN_WHEN) <= now);
  }

  // 3. snapshot exactly what is ready now
  const n = stGet(ST_READY_LEN);
  if (n > batchCap) {
    let cap = batchCap == 0 ? INITIAL_BATCH : batchCap;
    while (cap < n) cap <<= 1;
    // the old contents are dead (released above): allocate fresh rather than copy
    const old = <usize>stGet(ST_BATCH_PTR);
    if (old != 0) heap.free(old);
    stSet(ST_BATCH_PTR, <u32>heap.alloc(<usize>cap << 2));
    batchCap = cap;
  }
  const batchPtr = <usize>stGet(ST_BATCH_PTR);
  let out: u32 = 0;
  let head = ringHead;
  for (let i: u32 = 0; i < n; i++) {
    const slot = load<u32>(ringPtr + (<usize>head << 2));
    head = (head + 1) & ringMask;
    const p = slotAt(slot);
    if (load<u32>(p, SL_FLAGS) & F_CANCELLED) {
      freeSlot(slot);
    } else {
      store<u32>(p, F_LIVE | F_BATCH, SL_FLAGS);
      store<u32>(batchPtr + (<usize>out << 2), slot);
      out++;
    }
  }
  ringHead = head;
  stSet(ST_READY_LEN, 0);

  stSet(ST_BATCH_LEN, out);
  if (checksumOn) {
    let h = fmix(timerHash ^ fmix(stGet(ST_TIMER_LEN) ^ fmix(out)));
    for (let i: u32 = 0; i < out; i++) {
      const slot = load<u32>(batchPtr + (<usize>i << 2));
      h = fmix(h ^ slot) ^ fmix(load<u32>(slotAt(slot), SL_GEN) + 0x9e3779b9);
    }
    stSet(ST_CHECKSUM, h);
  }
  return out;
}

/**
 * Recycle the current batch's slots now (the host has run it all). `tick` does this itself;
 * the host calls it when the loop stops, so an idle loop holds no batch.
 */
export function release(): void {
  const prev = stGet(ST_BATCH_LEN);
  if (prev == 0) return;
  const batchPtr = <usize>stGet(ST_BATCH_PTR);
  for (let i: u32 = 0; i < prev; i++) freeSlot(load<u32>(batchPtr + (<usize>i << 2)));
  stSet(ST_BATCH_LEN, 0);
}

/** Seed the generator behind `random()` and the random schedule. */
export function seed(lo: u32, hi: u32): void {
  rng0 = splitmix(lo);
  rng1 = splitmix(rng0 ^ hi);
  rng2 = splitmix(rng1 ^ 0x6a09e667);
  rng3 = splitmix(rng2 ^ 0xbb67ae85);
  if ((rng0 | rng1 | rng2 | rng3) == 0) rng0 = 1;
}

/** A uniform float in [0, 1) with 53 random bits. */
export function random(): f64 {
  const a = nextU32() >>> 5;
  const b = nextU32() >>> 6;
  return (<f64>a * 67108864.0 + <f64>b) / 9007199254740992.0;
}

/** 1: compute STATE.checksum at every tick (ready ids and timer deadlines); 0: skip it. */
export function setChecksum(on: i32): void {
  checksumOn = on != 0;
  // the timer hash is kept up to date only while checksums are on: rebuild it now
  timerHash = 0;
  if (checksumOn) {
    const len = stGet(ST_TIMER_LEN);
    for (let i: u32 = 0; i < len; i++) {
      const e = entryAt(i);
      timerHash ^= entryHash(load<f64>(e, EN_WHEN), load<u64>(e, EN_SEQ));
    }
  }
}

/** Drop every handle and timer (the loop closed). Memory is kept for reuse. */
/**
 * Back to a new instance's state, for a pooled core that serves a new loop: the same ids,
 * sequence numbers and checksums as a fresh instance (generations start again at 0, which
 * `reset` must not do for a loop that keeps running). Buffers stay allocated.
 */
export function wipe(): void {
  freeHead = NO_SLOT;
  ringHead = 0;
  timerHash = 0;
  nextSeq = 0;
  checksumOn = false;
  stSet(ST_SLOT_HIGH, 0);
  stSet(ST_READY_LEN, 0);
  stSet(ST_TIMER_LEN, 0);
  stSet(ST_BATCH_LEN, 0);
  stSet(ST_LIVE, 0);
  stSet(ST_CHECKSUM, 0);
  publishDeadline();
}

export function reset(): void {
  freeHead = NO_SLOT;
  ringHead = 0;
  timerHash = 0;
  nextSeq = 0;
  // generations of dropped slots must still move on, or an old id could match a new handle
  const high = stGet(ST_SLOT_HIGH);
  for (let s: u32 = high; s > 0; s--) {
    const slot = s - 1;
    const p = slotAt(slot);
    const flags = load<u32>(p, SL_FLAGS);
    if (flags & F_LIVE) {
      const gen = load<u32>(p, SL_GEN) + 1;
      store<u32>(p, gen, SL_GEN);
      store<u32>(p, 0, SL_FLAGS);
      if (gen >= GEN_LIMIT) continue;
    } else if (load<u32>(p, SL_GEN) >= GEN_LIMIT) {
      continue;
    }
    store<u32>(p, freeHead, SL_LINK);
    freeHead = slot;
  }
  stSet(ST_READY_LEN, 0);
  stSet(ST_TIMER_LEN, 0);
  stSet(ST_BATCH_LEN, 0);
  stSet(ST_LIVE, 0);
  stSet(ST_CHECKSUM, 0);
  publishDeadline();
}

// first use: allocate the structures and publish an empty state
growRing();
store<f64>(STATE + ST_NEXT_DEADLINE, Infinity);
seed(0, 0);

// ---- abort ----------------------------------------------------------------------------------------

// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "proc_exit")
declare function procExit(code: u32): void;

/**
 * The core's abort (an allocation that cannot grow memory; assertions are off in release): exit
 * through WASI with code 255 and trap. The shim's own abort formats and writes the message,
 * which is most of a 5 KB module for a path that never runs.
 */
function coreAbort(message: usize, fileName: usize, line: u32, column: u32): void {
  procExit(255);
  unreachable();
}

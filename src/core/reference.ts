// The pure-TS reference core: the same algorithm as assembly/index.ts, line for line, on typed
// arrays. It is the oracle the property test compares the Wasm core against, and the
// benchmark's ablation ("what does Wasm buy us?"). Read assembly/index.ts for the design; the
// comments here only mark where JS needs care to produce the same bits (Math.imul, >>> 0).

import type { SchedulerCore } from "./types.js";
import { SLOT_SPAN } from "./types.js";

const F_LIVE = 1;
const F_READY = 2;
const F_TIMER = 4;
const F_BATCH = 8;
const F_CANCELLED = 16;
const GEN_LIMIT = 1 << 21;
const NO_SLOT = 0xffffffff;
const INITIAL = 64;

const f64Scratch = new Float64Array(1);
const u32Scratch = new Uint32Array(f64Scratch.buffer);

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function entryHash(when: number, seq: number): number {
  f64Scratch[0] = when;
  const lo = u32Scratch[0];
  const hi = u32Scratch[1];
  const seqLo = seq >>> 0;
  const seqHi = Math.floor(seq / SLOT_SPAN) >>> 0;
  return fmix(lo ^ fmix(hi ^ fmix(seqLo ^ fmix(seqHi))));
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

function grown<T extends Uint32Array | Float64Array>(old: T, cap: number): T {
  const fresh = new (old.constructor as { new (n: number): T })(cap);
  fresh.set(old);
  return fresh;
}

export class ReferenceCore implements SchedulerCore {
  readonly kind = "js" as const;

  // handle table, one column per field
  private gen = new Uint32Array(INITIAL);
  private flags = new Uint32Array(INITIAL);
  private link = new Uint32Array(INITIAL); // heap index (timer) or next free slot
  private slotHigh = 0;
  private freeHead = NO_SLOT;
  private live = 0;

  // ready ring
  private ring = new Uint32Array(INITIAL);
  private ringMask = INITIAL - 1;
  private ringHead = 0;
  private ready = 0;

  // timer heap, one column per entry field
  private hWhen = new Float64Array(INITIAL);
  private hSeq = new Float64Array(INITIAL); // exact up to 2^53
  private hSlot = new Uint32Array(INITIAL);
  private timers = 0;
  private nextSeq = 0;
  private timerHash = 0;

  private batchArr = new Uint32Array(INITIAL);
  private batchLen = 0;
  private sum = 0;

  private checksumOn = false;
  private r0 = 0;
  private r1 = 0;
  private r2 = 0;
  private r3 = 0;

  constructor() {
    this.seed(0, 0);
  }

  private makeId(slot: number): number {
    return this.gen[slot] * SLOT_SPAN + slot;
  }

  private allocSlot(flags: number): number {
    let slot = this.freeHead;
    if (slot !== NO_SLOT) {
      this.freeHead = this.link[slot];
    } else {
      slot = this.slotHigh;
      if (slot === this.gen.length) {
        const cap = slot * 2;
        this.gen = grown(this.gen, cap);
        this.flags = grown(this.flags, cap);
        this.link = grown(this.link, cap);
      }
      this.gen[slot] = 0;
      this.slotHigh = slot + 1;
    }
    this.flags[slot] = flags;
    this.live++;
    return slot;
  }

  private freeSlot(slot: number): void {
    const gen = this.gen[slot] + 1;
    this.gen[slot] = gen;
    this.flags[slot] = 0;
    this.live--;
    if (gen < GEN_LIMIT) {
      this.link[slot] = this.freeHead;
      this.freeHead = slot;
    }
  }

  private resolve(id: number): number {
    if (!(id >= 0) || id >= 9007199254740992 || Math.floor(id) !== id) return NO_SLOT;
    const slot = id % SLOT_SPAN;
    if (slot >= this.slotHigh) return NO_SLOT;
    if (this.gen[slot] !== Math.floor(id / SLOT_SPAN)) return NO_SLOT;
    if ((this.flags[slot] & F_LIVE) === 0) return NO_SLOT;
    return slot;
  }

  private ringPush(slot: number): void {
    const len = this.ready;
    if (len > this.ringMask) {
      const oldCap = this.ringMask + 1;
      const fresh = new Uint32Array(oldCap * 2);
      fresh.set(this.ring.subarray(this.ringHead));
      fresh.set(this.ring.subarray(0, this.ringHead), oldCap - this.ringHead);
      this.ring = fresh;
      this.ringMask = oldCap * 2 - 1;
      this.ringHead = 0;
    }
    this.ring[(this.ringHead + len) & this.ringMask] = slot;
    this.ready = len + 1;
  }

  private less(a: number, b: number): boolean {
    const wa = this.hWhen[a];
    const wb = this.hWhen[b];
    return wa < wb || (wa === wb && this.hSeq[a] < this.hSeq[b]);
  }

  private place(index: number, when: number, seq: number, slot: number): void {
    this.hWhen[index] = when;
    this.hSeq[index] = seq;
    this.hSlot[index] = slot;
    this.link[slot] = index;
  }

  private siftUp(index: number): void {
    const when = this.hWhen[index];
    const seq = this.hSeq[index];
    const slot = this.hSlot[index];
    while (index > 0) {
      const parent = (index - 1) >> 1;
      const pw = this.hWhen[parent];
      if (pw < when || (pw === when && this.hSeq[parent] < seq)) break;
      this.place(index, pw, this.hSeq[parent], this.hSlot[parent]);
      index = parent;
    }
    this.place(index, when, seq, slot);
  }

  private siftDown(index: number): void {
    const len = this.timers;
    const when = this.hWhen[index];
    const seq = this.hSeq[index];
    const slot = this.hSlot[index];
    for (;;) {
      const left = index * 2 + 1;
      if (left >= len) break;
      let child = left;
      const right = left + 1;
      if (right < len && this.less(right, left)) child = right;
      const cw = this.hWhen[child];
      if (when < cw || (when === cw && seq < this.hSeq[child])) break;
      this.place(index, cw, this.hSeq[child], this.hSlot[child]);
      index = child;
    }
    this.place(index, when, seq, slot);
  }

  private heapRemoveAt(index: number): void {
    if (this.checksumOn) this.timerHash = (this.timerHash ^ entryHash(this.hWhen[index], this.hSeq[index])) >>> 0;
    const last = --this.timers;
    if (index !== last) {
      this.place(index, this.hWhen[last], this.hSeq[last], this.hSlot[last]);
      if (index > 0 && this.less(index, (index - 1) >> 1)) this.siftUp(index);
      else this.siftDown(index);
    }
  }

  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.r1, 5), 7), 9) >>> 0;
    const t = this.r1 << 9;
    this.r2 ^= this.r0;
    this.r3 ^= this.r1;
    this.r1 ^= this.r2;
    this.r0 ^= this.r3;
    this.r2 ^= t;
    this.r3 = rotl(this.r3, 11);
    this.r0 >>>= 0;
    this.r1 >>>= 0;
    this.r2 >>>= 0;
    return result;
  }

  soon(): number {
    const slot = this.allocSlot(F_LIVE | F_READY);
    this.ringPush(slot);
    return this.makeId(slot);
  }

  at(when: number): number {
    const slot = this.allocSlot(F_LIVE | F_TIMER);
    const len = this.timers;
    if (len === this.hWhen.length) {
      this.hWhen = grown(this.hWhen, len * 2);
      this.hSeq = grown(this.hSeq, len * 2);
      this.hSlot = grown(this.hSlot, len * 2);
    }
    const seq = this.nextSeq++;
    if (this.checksumOn) this.timerHash = (this.timerHash ^ entryHash(when, seq)) >>> 0;
    this.timers = len + 1;
    this.place(len, when, seq, slot);
    this.siftUp(len);
    return this.makeId(slot);
  }

  cancel(id: number): number {
    const slot = this.resolve(id);
    if (slot === NO_SLOT) return 0;
    const flags = this.flags[slot];
    if (flags & F_CANCELLED) return 0;
    if (flags & F_TIMER) {
      this.heapRemoveAt(this.link[slot]);
      this.freeSlot(slot);
      return 1;
    }
    this.flags[slot] = flags | F_CANCELLED;
    return 1;
  }

  isPending(id: number): number {
    const slot = this.resolve(id);
    if (slot === NO_SLOT) return 0;
    return this.flags[slot] & F_CANCELLED ? 0 : 1;
  }

  release(): void {
    const prev = this.batchLen;
    for (let i = 0; i < prev; i++) this.freeSlot(this.batchArr[i]);
    this.batchLen = 0;
  }

  tick(now: number): number {
    this.release();

    while (this.timers > 0 && this.hWhen[0] <= now) {
      const slot = this.hSlot[0];
      this.heapRemoveAt(0);
      this.flags[slot] = F_LIVE | F_READY;
      this.ringPush(slot);
    }

    const n = this.ready;
    if (n > this.batchArr.length) {
      let cap = this.batchArr.length;
      while (cap < n) cap *= 2;
      this.batchArr = new Uint32Array(cap);
    }
    const batch = this.batchArr;
    const ring = this.ring;
    const mask = this.ringMask;
    let head = this.ringHead;
    let out = 0;
    for (let i = 0; i < n; i++) {
      const slot = ring[head];
      head = (head + 1) & mask;
      if (this.flags[slot] & F_CANCELLED) {
        this.freeSlot(slot);
      } else {
        this.flags[slot] = F_LIVE | F_BATCH;
        batch[out++] = slot;
      }
    }
    this.ringHead = head;
    this.ready = 0;

    this.batchLen = out;
    if (this.checksumOn) {
      let h = fmix(this.timerHash ^ fmix(this.timers ^ fmix(out)));
      for (let i = 0; i < out; i++) {
        const slot = batch[i];
        h = (fmix(h ^ slot) ^ fmix((this.gen[slot] + 0x9e3779b9) >>> 0)) >>> 0;
      }
      this.sum = h;
    }
    return out;
  }

  batch(): Uint32Array {
    return this.batchArr;
  }
  readyLen(): number {
    return this.ready;
  }
  timerLen(): number {
    return this.timers;
  }
  nextDeadline(): number {
    return this.timers > 0 ? this.hWhen[0] : Infinity;
  }
  liveCount(): number {
    return this.live;
  }
  checksum(): number {
    return this.sum;
  }

  seed(lo: number, hi: number): void {
    const splitmix = (x: number) => fmix((x + 0x9e3779b9) >>> 0);
    this.r0 = splitmix(lo >>> 0);
    this.r1 = splitmix((this.r0 ^ hi) >>> 0);
    this.r2 = splitmix((this.r1 ^ 0x6a09e667) >>> 0);
    this.r3 = splitmix((this.r2 ^ 0xbb67ae85) >>> 0);
    if ((this.r0 | this.r1 | this.r2 | this.r3) === 0) this.r0 = 1;
  }

  random(): number {
    const a = this.nextU32() >>> 5;
    const b = this.nextU32() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }

  setChecksum(on: number): void {
    this.checksumOn = on !== 0;
    let h = 0;
    if (this.checksumOn) for (let i = 0; i < this.timers; i++) h = (h ^ entryHash(this.hWhen[i], this.hSeq[i])) >>> 0;
    this.timerHash = h;
  }

  dispose(): void {
    this.reset();
  }

  reset(): void {
    this.freeHead = NO_SLOT;
    this.ringHead = 0;
    this.timerHash = 0;
    this.nextSeq = 0;
    for (let slot = this.slotHigh - 1; slot >= 0; slot--) {
      if (this.flags[slot] & F_LIVE) {
        const gen = this.gen[slot] + 1;
        this.gen[slot] = gen;
        this.flags[slot] = 0;
        if (gen >= GEN_LIMIT) continue;
      } else if (this.gen[slot] >= GEN_LIMIT) {
        continue;
      }
      this.link[slot] = this.freeHead;
      this.freeHead = slot;
    }
    this.ready = 0;
    this.timers = 0;
    this.batchLen = 0;
    this.live = 0;
    this.sum = 0;
  }
}

// Shared by the specs: read the core's STATE block and batch the way the host does (see the
// memory map in assembly/index.ts), plus small helpers over handle ids.

import { statePtr, soon } from "../index";

export const SPAN: f64 = 4294967296.0; // 2^32: ids are gen * SPAN + slot
export const TWO53: f64 = 9007199254740992.0;

export function st(offset: usize): u32 { return load<u32>(statePtr() + offset); }
export function readyLen(): u32 { return st(0); }
export function timerLen(): u32 { return st(4); }
export function batchLen(): u32 { return st(8); }
export function batchPtr(): usize { return <usize>st(12); }
export function batchAt(i: u32): u32 { return load<u32>(batchPtr() + (<usize>i << 2)); }
export function liveCount(): u32 { return st(16); }
export function slotHigh(): u32 { return st(20); }
export function checksum(): u32 { return st(24); }
export function nextDeadline(): f64 { return load<f64>(statePtr() + 32); }
export function slotOf(id: f64): u32 { return <u32>(<u64>id); }
export function genOf(id: f64): u32 { return <u32>(<u64>id >>> 32); }

/** The current batch, as an array. */
export function batch(): u32[] {
  const n = batchLen();
  const out = new Array<u32>(n);
  for (let i: u32 = 0; i < n; i++) out[i] = batchAt(i);
  return out;
}

/** The slots of `ids`. */
export function slotsOf(ids: f64[]): u32[] {
  const out = new Array<u32>(ids.length);
  for (let i = 0; i < ids.length; i++) out[i] = slotOf(ids[i]);
  return out;
}

/** `n` calls of soon(); their ids. */
export function schedule(n: i32): f64[] {
  const ids = new Array<f64>(n);
  for (let i = 0; i < n; i++) ids[i] = soon();
  return ids;
}

// Shared by the I/O programs (not a program itself: files starting with "_" are helpers).
import { getRunningLoop } from "wasyncio";

/**
 * Make the call (`call()`, where an unsupported feature must raise NotImplementedError), then
 * drive what it returned with `body`. An error becomes data: `{ error, at, message }`, `at` saying
 * whether it came at the call or while running.
 */
export function* attempt(call, body) {
  let started;
  try {
    started = call();
  } catch (e) {
    return { error: e.name, at: "call", message: e.message };
  }
  try {
    return yield* body(started);
  } catch (e) {
    return { error: e.name, at: "run", message: e.message };
  }
}

/** The loop's open resources, without run()'s own SIGINT handler (hosts with signals have one). */
export function openResources() {
  return getRunningLoop()
    ._openResources()
    .map(String)
    .filter((s) => !s.includes("SIGINT"));
}

const enc = new TextEncoder();
const dec = new TextDecoder();
export const bytes = (s) => enc.encode(s);
export const text = (b) => dec.decode(b);

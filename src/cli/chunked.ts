// explore in chunks, yielding to the host between them — for the CLI and wasyncio/testing.
//
// Why: every run that fails leaves its task behind a WeakRef (futures.ts tracks exceptions
// nobody retrieved), and a WeakRef keeps its target — the task, its loop, the loop's Wasm core
// and its 64 KiB memory — alive until the current JS job ends. One synchronous explore() of
// 100,000 seeds, half of them failing, would hold 50,000 loops: gigabytes. Ending the job every
// CHUNK seeds (a macrotask turn: a microtask is not enough) lets the collector have them.

import { explore, type ExploreFailure, type ExploreOptions, type Scenario } from "../index.js";

/** Seeds per synchronous explore() call. */
const CHUNK = 256;

const nextMacrotask = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/**
 * `explore(scenario, { seeds, … })` without the determinism check, CHUNK seeds at a time; stops
 * after `maxFailures`. `onProgress(ran, failed)` after each seed.
 */
export async function exploreChunked(
  scenario: Scenario,
  seeds: readonly number[],
  options: Omit<ExploreOptions, "seeds" | "checkDeterminism" | "onProgress">,
  onProgress?: (ran: number, failed: number) => void,
): Promise<{ ran: number; failures: ExploreFailure[] }> {
  const maxFailures = options.maxFailures ?? Infinity;
  const failures: ExploreFailure[] = [];
  let ran = 0;
  for (let at = 0; at < seeds.length && failures.length < maxFailures; at += CHUNK) {
    if (at > 0) await nextMacrotask();
    const before = ran;
    const r = explore(scenario, {
      ...options,
      seeds: seeds.slice(at, at + CHUNK),
      maxFailures: maxFailures - failures.length,
      checkDeterminism: false,
      onProgress: onProgress && ((n, f) => onProgress(before + n, failures.length + f)),
    });
    ran += r.ran;
    failures.push(...r.failures);
  }
  return { ran, failures };
}

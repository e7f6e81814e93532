// explore in chunks, yielding to the host between them — for the CLI and wasyncio/testing.
//
// Why: explore() is synchronous; a macrotask turn every CHUNK seeds lets the progress line be
// drawn and a Ctrl+C be handled during a long exploration. (It was first written because failing
// runs' tasks stayed alive until the job ended — a WeakRef keeps its target for the rest of the
// job; runSync loops now hold their failures strongly and drop them at close, so the loops are
// collectable either way: test/running/run-sync-memory.test.ts.)

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

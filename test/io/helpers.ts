// Shared by the process-side I/O tests (signals, executors, subprocesses).

import { readdirSync } from "node:fs";
import { expect } from "vitest";
import type { EventLoop } from "../../src/index.ts";

/**
 * The loop's open resources, by description, without run()'s own SIGINT handler (it stays
 * installed while main runs, as asyncio.Runner's does).
 */
export function openResources(loop: EventLoop): string[] {
  return loop._openResources().map(String).filter((s) => s !== "<run() SIGINT handler>");
}

/** OS threads of this process (Linux): worker threads are threads. */
export function threadCount(): number {
  return readdirSync("/proc/self/task").length;
}

/** Wait (a few seconds at most) until this process has no more threads than `baseline`. */
export async function expectThreadsBackTo(baseline: number): Promise<void> {
  const deadline = Date.now() + 5000;
  while (threadCount() > baseline && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  expect(threadCount(), "worker threads left running").toBeLessThanOrEqual(baseline);
}

export const WORK = new URL("./fixtures/work.mjs", import.meta.url);

// Shared by the process-side I/O tests (signals, executors, subprocesses).

import { readdirSync, readFileSync } from "node:fs";
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

/** Process ids whose parent is this process (Linux /proc): children still running or unreaped. */
export function childPids(): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // pid (comm) state ppid …: comm may hold spaces and parentheses, so split after the last ")"
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === process.pid) pids.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return pids;
}

/** Wait (a few seconds at most) until this process has no children but `allowed`. */
export async function expectNoStrayChildren(allowed: readonly number[] = []): Promise<void> {
  const stray = () => childPids().filter((p) => !allowed.includes(p));
  const deadline = Date.now() + 5000;
  while (stray().length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  expect(stray(), "child processes left running").toEqual([]);
}

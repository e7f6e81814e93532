// A loop's pending tasks: an intrusive doubly-linked list threaded through the tasks themselves
// (`_prevTask`/`_nextTask`), so registering and unregistering a task is O(1) with no hashing and
// no allocation. It iterates like the Set it replaced (measured: Set.add/delete were 7% of
// 100,000 tasks doing sleep(0) ten times).

import type { Task } from "./tasks.js";

/** @internal */
export class TaskList implements Iterable<Task<unknown>> {
  private head: Task<unknown> | null = null;
  private count = 0;

  get size(): number {
    return this.count;
  }

  private has(task: Task<unknown>): boolean {
    return task._prevTask !== null || this.head === task;
  }

  add(task: Task<unknown>): void {
    if (this.has(task)) return;
    task._prevTask = null;
    task._nextTask = this.head;
    if (this.head !== null) this.head._prevTask = task;
    this.head = task;
    this.count++;
  }

  delete(task: Task<unknown>): void {
    if (!this.has(task)) return;
    const prev = task._prevTask;
    const next = task._nextTask;
    if (prev !== null) prev._nextTask = next;
    else this.head = next;
    if (next !== null) next._prevTask = prev;
    task._prevTask = task._nextTask = null;
    this.count--;
  }

  clear(): void {
    while (this.head !== null) this.delete(this.head);
  }

  /** Oldest first (registration order), as asyncio's all_tasks() tends to list them. */
  *[Symbol.iterator](): Iterator<Task<unknown>> {
    const newestFirst: Task<unknown>[] = [];
    for (let t = this.head; t !== null; t = t._nextTask) newestFirst.push(t);
    for (let i = newestFirst.length - 1; i >= 0; i--) yield newestFirst[i];
  }
}

// Producer / consumer over a bounded Queue — asyncio's classic worked example, in wasyncio.
//
// One producer puts six jobs on a Queue that holds at most two: when it is full, `put` waits
// (back-pressure) until a consumer takes one. Two consumers take jobs, work on them (a sleep
// of the job's cost), and mark each one done with `taskDone()`. The producer then `join()`s
// the queue — it waits until every job was processed — and `shutdown()`s it (Python 3.13),
// which makes the idle consumers' `get()` throw `QueueShutDown`, so they stop.
//
// It runs on the virtual clock: the 0.9 simulated seconds take a few milliseconds, and the
// transcript is the same on every run and every machine (`node examples/producer-consumer.mjs`).

import { Queue, QueueShutDown, createTask, gather, getRunningLoop, run, sleep } from "wasyncio";

function log(message) {
  console.log(`[t=${getRunningLoop().time().toFixed(2)}] ${message}`);
}

function* producer(queue, jobs) {
  for (const job of jobs) {
    if (queue.full()) log(`producer waits: queue full (${queue.qsize()}/${queue.maxsize})`);
    yield* queue.put(job); // waits while the queue is full
    log(`put ${job.name}`);
  }
  log("producer: all jobs queued");
}

function* consumer(name, queue) {
  for (;;) {
    let job;
    try {
      job = yield* queue.get(); // waits while the queue is empty
    } catch (e) {
      if (!(e instanceof QueueShutDown)) throw e;
      log(`${name} stops: the queue is shut down`);
      return;
    }
    log(`${name} starts ${job.name} (${job.cost}s)`);
    yield* sleep(job.cost);
    log(`${name} finished ${job.name}`);
    queue.taskDone();
  }
}

await run(
  function* main() {
    const queue = new Queue(2);
    const jobs = [
      { name: "job-1", cost: 0.5 },
      { name: "job-2", cost: 0.2 },
      { name: "job-3", cost: 0.4 },
      { name: "job-4", cost: 0.15 },
      { name: "job-5", cost: 0.3 },
      { name: "job-6", cost: 0.2 },
    ];
    const consumers = [createTask(consumer("alice", queue)), createTask(consumer("bob", queue))];
    yield* producer(queue, jobs);
    yield* queue.join(); // every job taken and marked done
    log("all jobs done");
    queue.shutdown(); // the idle consumers' get() now throws QueueShutDown
    yield* gather(...consumers);
    log("bye");
  },
  { clock: "virtual" },
);

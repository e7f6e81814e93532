// toThread: a function run in a worker (worker_threads on Node and Bun, Web Workers in Deno and
// browsers), named by module URL and export; an error comes back with its name and message.
// Hosts without workers (workerd) raise NotImplementedError at the call.
import { run, toThread } from "wasyncio";
import { attempt } from "./_lib.mjs";

/** The worker module's URL; workerd gives modules no URL (and has no workers: toThread refuses at the call). */
function workModule() {
  try {
    return new URL("./_work.mjs", import.meta.url);
  } catch {
    return "_work.mjs";
  }
}
const work = workModule();

export default async function main(t) {
  t.check(
    "toThread returns the worker's result",
    await run(() =>
      attempt(
        () => toThread({ module: work, name: "twice" }, 21),
        function* (calling) {
          return yield* calling;
        },
      ),
    ),
    42,
    "workers",
  );

  t.check(
    "toThread: the worker's error, by name and message",
    await run(() =>
      attempt(
        () => toThread({ module: work, name: "fail" }, "bad input"),
        function* (calling) {
          try {
            yield* calling;
            return "no error";
          } catch (e) {
            return [e.name, e.message];
          }
        },
      ),
    ),
    ["RangeError", "fail: bad input"],
    "workers",
  );
}

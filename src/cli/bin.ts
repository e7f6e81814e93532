// dist/cli.mjs, the `wasyncio` bin: the CLI in the main thread, an explore worker in a worker
// thread (explore --jobs starts this same module as its workers).

import { exploreWorker, isExploreWorker } from "./explore.js";
import { main } from "./main.js";
import { processIo } from "./common.js";

if (isExploreWorker()) {
  await exploreWorker();
} else {
  try {
    process.exitCode = await main(process.argv.slice(2), processIo(new URL(import.meta.url)));
  } catch (exc) {
    process.stderr.write(`wasyncio: ${exc instanceof Error ? (exc.stack ?? exc.message) : String(exc)}\n`);
    process.exitCode = 2;
  }
}

// Record the echo program on real sockets: `node examples/record-replay/record.mjs [TRACE]`
// writes the trace (default: echo.trace beside this file). The trace's header names the program
// (echo.mjs, export `main`), so `npx wasyncio replay TRACE` can replay it too.
import { writeFileSync } from "node:fs";
import { dirname, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Recorder, run } from "wasyncio";
import { main } from "./echo.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const tracePath = resolve(process.argv[2] ?? resolve(here, "echo.trace"));
// the scenario's module is written relative to the trace's folder
const recorder = new Recorder({ scenario: { module: relative(dirname(tracePath), resolve(here, "echo.mjs")), export: "main" } });

const result = await run(main, { record: recorder });
const trace = recorder.trace();
writeFileSync(tracePath, trace.toString());
console.log(JSON.stringify(result));
console.log(`recorded ${trace.iterations} iterations on port ${result.port} into ${tracePath} (${trace.toString().length} bytes)`);

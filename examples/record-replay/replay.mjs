// Replay the recording with the network unplugged: `node examples/record-replay/replay.mjs [TRACE]`.
// Every way Node opens a socket is made to throw first; the replay never gets there — each byte
// the clients and the server read, each clock read and the port come from the trace, and each
// write the program makes is checked against the recorded one.
import net from "node:net";
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { ReplayDivergence, Trace, run } from "wasyncio";
import { main } from "./echo.mjs";

const unplugged = () => {
  throw new Error("the network is unplugged");
};
net.Socket.prototype.connect = unplugged;
net.Server.prototype.listen = unplugged;

const here = dirname(fileURLToPath(import.meta.url));
const tracePath = resolve(process.argv[2] ?? resolve(here, "echo.trace"));
const trace = Trace.parse(readFileSync(tracePath, "utf8"));
try {
  const result = await run(main, { replay: trace });
  console.log(JSON.stringify(result));
  console.log(`replayed ${trace.iterations} iterations with the network unplugged: the same run`);
} catch (e) {
  if (!(e instanceof ReplayDivergence)) throw e;
  console.log(`the program no longer does what was recorded: ${e.message}`);
  process.exitCode = 1;
}

// Which I/O features each host has: every call below either returns a coroutine (or installs a
// handler) or raises NotImplementedError at the call, naming the host. Nothing is run.
import {
  getRunningLoop,
  openConnection,
  openUnixConnection,
  openWebSocket,
  run,
  startServer,
  createSubprocessExec,
  toThread,
} from "wasyncio";

/** "available" if the call returns (its coroutine is closed unrun), else the error as data. */
function probe(call) {
  try {
    const made = call();
    if (made && typeof made.return === "function") made.return(undefined);
    return "available";
  } catch (e) {
    return { error: e.name, at: "call", message: e.message };
  }
}

export default async function main(t) {
  const probes = await run(function* () {
    const loop = getRunningLoop();
    return {
      tcp: probe(() => openConnection("127.0.0.1", 9)),
      tcpServer: probe(() => startServer(() => {}, "127.0.0.1", 0)),
      unix: probe(() => openUnixConnection("/tmp/wasyncio-matrix-none.sock")),
      udp: probe(() => loop.createDatagramEndpoint(() => ({}), { localAddr: ["127.0.0.1", 0] })),
      subprocess: probe(() => createSubprocessExec("true")),
      signals: probe(() => {
        loop.addSignalHandler("SIGUSR2", () => {});
        if (loop.removeSignalHandler("SIGUSR2") !== true) throw new Error("removeSignalHandler did not remove it");
      }),
      workers: probe(() => toThread({ module: "data:text/javascript,export const f = () => 1", name: "f" })),
      websocket: probe(() => openWebSocket("ws://127.0.0.1:9/")),
    };
  });
  for (const [feature, result] of Object.entries(probes)) t.check(`feature ${feature}`, result, "available", feature);
}

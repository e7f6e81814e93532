// A TCP echo server and a client, through streams (asyncio's start_server / open_connection).
// Run: node examples/echo.mjs
import { run, startServer, openConnection, gather } from "wasyncio";

function* handle(reader, writer) {
  const peer = writer.getExtraInfo("peername");
  for (;;) {
    const line = yield* reader.readline();
    if (line.length === 0) break; // EOF
    writer.write(line);
    yield* writer.drain();
  }
  writer.close();
  yield* writer.waitClosed();
  console.log(`server: ${peer[0]} disconnected`);
}

function* client(name, server) {
  const [host, port] = server.sockets[0].getsockname();
  const [reader, writer] = yield* openConnection(host, port);
  writer.write(new TextEncoder().encode(`hello from ${name}\n`));
  yield* writer.drain();
  const echoed = new TextDecoder().decode(yield* reader.readline());
  console.log(`${name} got: ${echoed.trim()}`);
  writer.close();
  yield* writer.waitClosed();
}

await run(function* main() {
  const server = yield* startServer(handle, "127.0.0.1", 0);
  yield* gather(client("alice", server), client("bob", server));
  server.close();
  yield* server.waitClosed();
});

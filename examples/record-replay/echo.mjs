// The program this example records and replays: a TCP echo server and three clients, all in one
// program, on 127.0.0.1. Each client sends a few lines and prints what comes back; the server
// answers each line upper-cased. Clients sleep a little between lines, so socket events, timers
// and writes interleave — a schedule that real sockets decide, and a trace keeps.
import { gather, openConnection, sleep, startServer } from "wasyncio";

const enc = new TextEncoder();
const dec = new TextDecoder();

function* handle(reader, writer) {
  for (;;) {
    const line = yield* reader.readline();
    if (line.length === 0) break; // the client closed its end
    writer.write(enc.encode(dec.decode(line).toUpperCase()));
    yield* writer.drain();
  }
  writer.close();
  yield* writer.waitClosed();
}

function* client(port, name, lines) {
  const [reader, writer] = yield* openConnection("127.0.0.1", port);
  const replies = [];
  for (const text of lines) {
    writer.write(enc.encode(`${name}: ${text}\n`));
    yield* writer.drain();
    replies.push(dec.decode(yield* reader.readline()).trim());
    yield* sleep(0.005);
  }
  writer.close();
  yield* writer.waitClosed();
  return replies;
}

export function* main() {
  const server = yield* startServer(handle, "127.0.0.1", 0);
  const [, port] = server.sockets[0].getsockname();
  const replies = yield* gather(
    client(port, "ada", ["hello", "how are you?"]),
    client(port, "bob", ["hi", "fine", "bye"]),
    client(port, "cy", ["hey"]),
  );
  server.close();
  yield* server.waitClosed();
  return { port, replies };
}

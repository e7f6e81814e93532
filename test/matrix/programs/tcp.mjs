// TCP streams: a client against the test's echo server on 127.0.0.1 (env.echoPort: it echoes,
// and answers EOF with "bye" and its own EOF), and a server of our own with a client of it.
// Hosts without TCP (browsers) or without listening sockets (workerd) raise NotImplementedError
// at the call.
import { openConnection, run, startServer } from "wasyncio";
import { attempt, bytes, openResources, text } from "./_lib.mjs";

export default async function main(t) {
  t.check(
    "openConnection: echo, writelines, writeEof, the peer's EOF",
    await run(() =>
      attempt(
        () => openConnection("127.0.0.1", t.env.echoPort),
        function* (connecting) {
          const [reader, writer] = yield* connecting;
          const out = [];
          writer.write(bytes("hello\n"));
          yield* writer.drain();
          out.push(text(yield* reader.readline()));
          writer.writelines([bytes("a"), bytes("b"), bytes("c\n")]);
          out.push(text(yield* reader.readexactly(4)));
          out.push(writer.canWriteEof());
          writer.writeEof();
          out.push(text(yield* reader.read()));
          out.push(reader.atEof());
          out.push(JSON.stringify(writer.getExtraInfo("peername")) === JSON.stringify(["127.0.0.1", t.env.echoPort]));
          writer.close();
          yield* writer.waitClosed();
          out.push(openResources());
          return out;
        },
      ),
    ),
    ["hello\n", "abc\n", true, "bye", true, true, []],
    "tcp",
  );

  t.check(
    "startServer + openConnection to it",
    await run(() =>
      attempt(
        () =>
          startServer(function* (reader, writer) {
            for (;;) {
              const line = yield* reader.readline();
              if (line.length === 0) break;
              writer.write(bytes(text(line).toUpperCase()));
            }
            writer.close();
          }, "127.0.0.1", 0),
        function* (starting) {
          const server = yield* starting;
          const [host, port] = server.sockets[0].getsockname();
          const [reader, writer] = yield* openConnection(host, port);
          const out = [host, server.isServing()];
          for (const word of ["one\n", "two\n"]) {
            writer.write(bytes(word));
            out.push(text(yield* reader.readline()));
          }
          writer.writeEof();
          out.push(text(yield* reader.read()));
          writer.close();
          yield* writer.waitClosed();
          server.close();
          yield* server.waitClosed();
          out.push(server.sockets.length, openResources());
          return out;
        },
      ),
    ),
    ["127.0.0.1", true, "ONE\n", "TWO\n", "", 0, []],
    "tcpServer",
  );

  t.check(
    "a refused connection is ConnectionRefusedError",
    await run(() =>
      attempt(
        () => openConnection("127.0.0.1", t.env.closedPort),
        function* (connecting) {
          try {
            yield* connecting;
            return "connected";
          } catch (e) {
            return [e.name, e.code];
          }
        },
      ),
    ),
    ["ConnectionRefusedError", "ECONNREFUSED"],
    "tcp",
  );
}

// openWebSocket against the test's WebSocket server (env.wsUrl, test/hosts/chromium.mjs's
// startServer): an echo of lines, then messages the server sends before its close frame. Hosts
// without a WebSocket (Node 20, workerd) raise NotImplementedError at the call.
import { openWebSocket, run } from "wasyncio";
import { attempt, bytes, openResources, text } from "./_lib.mjs";

export default async function main(t) {
  t.check(
    "openWebSocket echo",
    await run(() =>
      attempt(
        () => openWebSocket(`${t.env.wsUrl}/ws/echo`, { protocols: ["wasyncio.matrix"] }),
        function* (opening) {
          const [reader, writer] = yield* opening;
          const out = [writer.getExtraInfo("subprotocol")];
          for (const word of ["one\n", "two\n", "three\n"]) writer.write(bytes(word));
          yield* writer.drain();
          for (let i = 0; i < 3; i++) out.push(text(yield* reader.readline()));
          writer.close();
          yield* writer.waitClosed();
          out.push(openResources());
          return out;
        },
      ),
    ),
    ["wasyncio.matrix", "one\n", "two\n", "three\n", []],
    "websocket",
  );

  t.check(
    "openWebSocket: the server's messages, then its close is EOF",
    await run(() =>
      attempt(
        () => openWebSocket(`${t.env.wsUrl}/ws/send?n=3&size=4`),
        function* (opening) {
          const [reader, writer] = yield* opening;
          const all = Array.from(yield* reader.read(-1));
          const eof = reader.atEof();
          writer.close();
          yield* writer.waitClosed();
          return [all, eof, openResources()];
        },
      ),
    ),
    [[0, 1, 2, 3, 1, 2, 3, 4, 2, 3, 4, 5], true, []],
    "websocket",
  );
}

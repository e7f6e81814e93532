// A real TCP program — an echo server and its clients in one program on 127.0.0.1 — recorded on
// real sockets, then replayed with the network unplugged: no socket is opened, every byte comes
// from the trace, and a program that writes something else stops with a ReplayDivergence naming
// the write.

import net from "node:net";
import { afterEach, describe, expect, it, vi } from "vitest";
import * as wasyncio from "../../src/index.ts";
import { Recorder, ReplayDivergence, Trace, run, runSync } from "../../src/index.ts";
// @ts-expect-error -- a plain .mjs fixture (shared with the Deno replay)
import { makeEcho } from "./fixtures/echo-program.mjs";

type EchoResult = { port: number; log: string[] };
const echo = (opts?: { clients?: number; messages?: number; shout?: boolean }) => makeEcho(wasyncio, opts) as () => Generator<unknown, EchoResult>;

afterEach(() => {
  vi.restoreAllMocks();
});

/** Every way the Node driver opens a socket or a server: a replay must reach none of them. */
function unplug() {
  const fail = () => {
    throw new Error("the network is unplugged");
  };
  return [
    vi.spyOn(net.Socket.prototype, "connect").mockImplementation(fail),
    vi.spyOn(net.Server.prototype, "listen").mockImplementation(fail),
    vi.spyOn(net, "createServer"),
    vi.spyOn(net, "connect"),
    vi.spyOn(net, "createConnection"),
  ];
}

async function recordEcho(opts?: Parameters<typeof echo>[0]) {
  const rec = new Recorder();
  const result = await run(echo(opts), { record: rec });
  return { result, text: rec.trace().toString() };
}

describe("TCP echo", () => {
  it("is recorded on real sockets and replays with no socket opened", async () => {
    const { result, text } = await recordEcho();
    expect(result.log).toHaveLength(12);
    expect(result.log).toContain("CLIENT 2 LINE 3");
    // the trace holds the bytes both ways
    expect(text).toContain(`"op":"write"`);
    expect(text).toContain(`"kind":"data"`);
    expect(text).toContain(`"kind":"accepted"`);
    const spies = unplug();
    const trace = Trace.parse(text);
    const replayed = await run(echo(), { replay: trace });
    expect(replayed).toEqual(result); // the same port too: it came from the trace
    for (const spy of spies) expect(spy).not.toHaveBeenCalled();
  });

  it("a program that writes something else diverges at that write, naming both", async () => {
    const { text } = await recordEcho({ clients: 2, messages: 2 });
    unplug();
    const err = await run(echo({ clients: 2, messages: 2, shout: false }), { replay: Trace.parse(text) }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ReplayDivergence);
    const d = err as ReplayDivergence;
    expect(d.expected).toMatch(/^write of 16 bytes "CLIENT [01] LINE 0\\n" to resource \d+$/);
    expect(d.actual).toMatch(/^write of 16 bytes "client [01] line 0\\n" to resource \d+$/);
    expect(d.message).toMatch(/task 'Task-\d+' was running/);
    expect(d.iteration).toBeGreaterThan(1);
  });

  it("replaying a run() trace under runSync says to use run()", async () => {
    const { text } = await recordEcho({ clients: 1, messages: 1 });
    unplug();
    expect(() => runSync(echo({ clients: 1, messages: 1 }), { replay: Trace.parse(text) })).toThrow(/recorded under run\(\).*replay it with run\(\)/);
  });
});

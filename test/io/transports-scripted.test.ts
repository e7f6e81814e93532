// Transports and streams under a scripted driver, with no host at all: the test plays the host,
// answering commands with events. This pins the seam: which commands a connection sends, in
// which order (connect, resumeReading only after connectionMade, pauseReading at 2 x limit,
// write, close), and how events (connected, data, flushed, eof, closed) become protocol calls
// and stream results.

import { describe, expect, it } from "vitest";
import { ConnectionResetError, getRunningLoop, openConnection, run, sleep, type Driver, type Protocol, type Transport } from "../../src/index.ts";
import { CORES } from "../helpers.ts";
import { b, t } from "./stream-helpers.ts";

type Wake = (reason: "event" | "timer" | "yield") => void;
type Event = ReturnType<Driver["poll"]> extends (infer E)[] | null ? E : never;
type Command = Parameters<Driver["send"]>[0];

/** A host with TCP, played by the test: commands are recorded, events are scripted. */
class ScriptedNet implements Driver {
  readonly host = "script";
  t = 0;
  sent: Command[] = [];
  private wake: Wake | null = null;
  private queue: Event[] = [];
  attach(wake: Wake) {
    this.wake = wake;
  }
  detach() {
    this.wake = null;
  }
  now() {
    return this.t;
  }
  entropy() {
    return 1;
  }
  arm(delay: number) {
    queueMicrotask(() => {
      this.t += delay;
      this.wake?.("timer");
    });
  }
  disarm() {}
  yieldToHost() {
    queueMicrotask(() => this.wake?.("yield"));
  }
  send(command: Command) {
    this.sent.push(command);
  }
  poll() {
    if (this.queue.length === 0) return null;
    const q = this.queue;
    this.queue = [];
    return q;
  }
  supports(feature: string) {
    return feature === "tcp";
  }
  hostObject() {
    return null;
  }
  deliver(event: Event) {
    this.queue.push(event);
    this.wake?.("event");
  }
  /** The commands sent so far, briefly: "write:hello", "resumeReading", … */
  log(): string[] {
    return this.sent.map((c) => (c.op === "write" ? `write:${t(c.bytes)}` : c.op === "connect" ? `connect ${c.host}:${c.port}` : c.op));
  }
}

/**
 * Let delivered events reach their resources: events are taken at the start of the next
 * iteration, after the steps already scheduled (this task's own resumption among them).
 */
function* settle() {
  yield* sleep(0);
  yield* sleep(0);
}

describe.each(CORES)("%s core", (core) => {
  it("createConnection: the commands a connection sends, and its protocol calls, in order", async () => {
    const driver = new ScriptedNet();
    const record: string[] = [];
    await run(function* () {
      const loop = getRunningLoop();
      const proto: Protocol = {
        connectionMade: () => record.push(`made (commands: ${driver.log().join(", ")})`),
        dataReceived: (d) => record.push(`data ${t(d)}`),
        eofReceived: () => {
          record.push("eof");
          return false;
        },
        pauseWriting: () => record.push("pauseWriting"),
        resumeWriting: () => record.push("resumeWriting"),
        connectionLost: (exc) => record.push(`lost ${exc === null ? "null" : exc.name}`),
      };
      const connecting = loop.createTask(loop.createConnection(() => proto, "example.test", 80));
      yield* sleep(0);
      const connect = driver.sent[0] as Command & { op: "connect" };
      expect(connect).toMatchObject({ op: "connect", host: "example.test", port: 80, tls: null });
      driver.deliver({ kind: "connected", id: connect.id, local: ["10.0.0.1", 5555], remote: ["10.0.0.2", 80] });
      const [tr] = (yield* connecting) as [Transport, Protocol];
      expect(tr.getExtraInfo("peername")).toEqual(["10.0.0.2", 80]);
      expect(driver.log()).toEqual(["connect example.test:80", "resumeReading"]);

      tr.setWriteBufferLimits(8, 2);
      tr.write(b("hello"));
      expect(tr.getWriteBufferSize()).toBe(5);
      tr.write(b("world"));
      expect(tr.getWriteBufferSize()).toBe(10); // past 8: pauseWriting
      driver.deliver({ kind: "flushed", id: connect.id, n: 5 });
      yield* settle();
      expect(tr.getWriteBufferSize()).toBe(5);
      driver.deliver({ kind: "flushed", id: connect.id, n: 5 });
      yield* settle();
      expect(tr.getWriteBufferSize()).toBe(0); // down to 2: resumeWriting
      driver.deliver({ kind: "data", id: connect.id, bytes: b("reply") });
      driver.deliver({ kind: "eof", id: connect.id });
      yield* settle();
      // eofReceived returned false: the transport closes itself
      expect(driver.log().slice(-1)).toEqual(["close"]);
      driver.deliver({ kind: "closed", id: connect.id, error: null });
      yield* settle();
      expect(loop._openResources().map(String).filter((s) => !s.includes("SIGINT"))).toEqual([]);
    }, { core, driver });
    expect(record).toEqual([
      "made (commands: connect example.test:80)", // reading starts only after connectionMade
      "pauseWriting",
      "resumeWriting",
      "data reply",
      "eof",
      "lost null",
    ]);
    expect(driver.log()).toEqual(["connect example.test:80", "resumeReading", "write:hello", "write:world", "close"]);
  });

  it("streams: a reader past 2 x limit sends pauseReading, and resumeReading once read down; a reset reaches read() and drain()", async () => {
    const driver = new ScriptedNet();
    await run(function* () {
      const opening = getRunningLoop().createTask(openConnection("example.test", 7, { limit: 4 }));
      yield* sleep(0);
      const id = (driver.sent[0] as Command & { op: "connect" }).id;
      driver.deliver({ kind: "connected", id, local: ["10.0.0.1", 1], remote: ["10.0.0.2", 7] });
      const [reader, writer] = yield* opening;
      driver.deliver({ kind: "data", id, bytes: b("12345") });
      driver.deliver({ kind: "data", id, bytes: b("6789") }); // 9 bytes > 2 x 4
      yield* settle();
      expect(driver.log()).toEqual(["connect example.test:7", "resumeReading", "pauseReading"]);
      expect(t(yield* reader.read(5))).toBe("12345"); // 4 left: back to the limit
      expect(driver.log().slice(-1)).toEqual(["resumeReading"]);
      writer.write(b("req"));
      const reset = { name: "Error", code: "ECONNRESET", message: "read ECONNRESET" };
      driver.deliver({ kind: "closed", id, error: reset });
      yield* settle();
      // as asyncio: once the connection is lost with an error, reads raise it (even with bytes left)
      expect(reader.exception()).toBeInstanceOf(ConnectionResetError);
      let readErr: unknown = null;
      try {
        yield* reader.read(10);
      } catch (e) {
        readErr = e;
      }
      expect(readErr).toBeInstanceOf(ConnectionResetError);
      let drainErr: unknown = null;
      try {
        yield* writer.drain();
      } catch (e) {
        drainErr = e;
      }
      expect(drainErr).toBe(readErr);
    }, { core, driver });
  });
});

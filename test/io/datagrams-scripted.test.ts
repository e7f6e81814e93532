// UDP endpoints under a scripted driver (no sockets): the commands the loop sends and what it
// does with each event, in the order a recording would hold them. This is where the races a
// real socket cannot be made to hit on purpose are pinned down.

import { describe, expect, it } from "vitest";
import {
  CancelledError,
  ConnectionResetError,
  DatagramProtocol,
  OSError,
  TimersDriver,
  getRunningLoop,
  run,
  sleep,
} from "../../src/index.ts";
import type { Command, DatagramTransport, Feature, HostEvent } from "../../src/index.ts";

/** A host with UDP whose events the test sends by hand; it records every command. */
class ScriptedDriver extends TimersDriver {
  commands: Command[] = [];
  constructor() {
    super("scripted");
  }
  override send(command: Command): void {
    this.commands.push(command);
  }
  override supports(feature: Feature): boolean {
    return feature === "udp";
  }
  /** Queue an event as a host callback would. */
  push(event: HostEvent): void {
    this.emit(event);
  }
  ops(): string[] {
    return this.commands.map((c) => `${c.op}:${c.id}`);
  }
}

class Recorder extends DatagramProtocol {
  log: string[] = [];
  override connectionMade(): void {
    this.log.push("made");
  }
  override datagramReceived(data: Uint8Array, addr: [string, number]): void {
    this.log.push(`data ${new TextDecoder().decode(data)} from ${addr.join(":")}`);
  }
  override errorReceived(exc: Error): void {
    this.log.push(`error ${exc.name}`);
  }
  override connectionLost(exc: Error | null): void {
    this.log.push(`lost ${exc === null ? "null" : exc.name}`);
  }
}

const LOCAL: [string, number] = ["127.0.0.1", 4000];
const PEER: [string, number] = ["127.0.0.1", 5000];

describe("createDatagramEndpoint under a scripted driver", () => {
  it("cancelled in the very iteration its `connected` event is delivered: no protocol is made, the bind is aborted", async () => {
    const driver = new ScriptedDriver();
    let made = 0;
    await run(function* () {
      const loop = getRunningLoop();
      const task = loop.createTask(loop.createDatagramEndpoint(() => { made++; return new Recorder(); }, { localAddr: ["127.0.0.1", 0] }));
      yield* sleep(0);
      const bind = driver.commands[0] as Command & { op: "bindDatagram" };
      expect(bind.op).toBe("bindDatagram");
      // next iteration: this callback is ready before the event is taken, so it cancels first
      // and the delivery follows in the same iteration, before the task can run
      loop.callSoon(() => task.cancel());
      driver.push({ kind: "connected", id: bind.id, local: LOCAL, remote: null });
      let caught: unknown = null;
      try {
        yield* task;
      } catch (exc) {
        caught = exc;
      }
      expect(caught).toBeInstanceOf(CancelledError);
      expect(made).toBe(0);
      expect(driver.ops()).toEqual([`bindDatagram:${bind.id}`, `abort:${bind.id}`]);
    }, { driver });
  });

  it("a failed bind raises the host's error as its class and still ends the id with abort", async () => {
    const driver = new ScriptedDriver();
    await run(function* () {
      const loop = getRunningLoop();
      const task = loop.createTask(loop.createDatagramEndpoint(() => new Recorder(), { localAddr: LOCAL }));
      yield* sleep(0);
      const id = driver.commands[0].id;
      driver.push({ kind: "error", id, error: { name: "Error", code: "EADDRINUSE", message: "bind EADDRINUSE 127.0.0.1:4000" } });
      let caught: unknown = null;
      try {
        yield* task;
      } catch (exc) {
        caught = exc;
      }
      expect(caught).toBeInstanceOf(OSError);
      expect((caught as OSError).code).toBe("EADDRINUSE");
      expect((caught as Error).message).toBe("bind EADDRINUSE 127.0.0.1:4000");
      expect(driver.ops()).toEqual([`bindDatagram:${id}`, `abort:${id}`]);
    }, { driver });
  });

  it("the commands of a connected endpoint: its bind, sendto without an address and with a copy of the bytes, close then abort once each", async () => {
    const driver = new ScriptedDriver();
    await run(function* () {
      const loop = getRunningLoop();
      const task = loop.createTask(loop.createDatagramEndpoint(() => new Recorder(), { remoteAddr: ["localhost", 5000], reuseAddress: true }));
      yield* sleep(0);
      const bind = driver.commands[0];
      expect(bind).toEqual({
        op: "bindDatagram", id: bind.id, localAddr: null, remoteAddr: ["localhost", 5000],
        reuseAddress: true, family: undefined, allowBroadcast: false,
      });
      driver.push({ kind: "connected", id: bind.id, local: LOCAL, remote: PEER });
      const [t, p] = yield* task;
      expect(p.log).toEqual(["made"]);
      // the address as the host resolved it is the one sendto compares against, as asyncio
      expect(t.getExtraInfo("peername")).toEqual(PEER);
      expect(() => t.sendto(new Uint8Array(1), ["localhost", 5000])).toThrow(/Invalid address/);
      const data = new Uint8Array([1, 2, 3]);
      t.sendto(data);
      t.sendto(data, PEER);
      const sends = driver.commands.filter((c) => c.op === "sendto") as (Command & { op: "sendto" })[];
      expect(sends.map((c) => [Array.from(c.bytes), c.addr])).toEqual([[[1, 2, 3], null], [[1, 2, 3], null]]);
      expect(sends[0].bytes).not.toBe(data);
      t.close();
      t.close();
      t.sendto(data);
      t.abort();
      t.abort();
      expect(driver.ops().slice(-2)).toEqual([`close:${bind.id}`, `abort:${bind.id}`]);
      // a datagram that was on its way when close() was called is not delivered
      driver.push({ kind: "datagram", id: bind.id, bytes: new Uint8Array([104, 105]), addr: PEER });
      driver.push({ kind: "closed", id: bind.id, error: null });
      yield* sleep(0);
      yield* sleep(0);
      expect(p.log).toEqual(["made", "lost null"]);
      expect(driver.commands.length).toBe(5); // bind, 2 × sendto, close, abort
    }, { driver });
  });

  it("events in arrival order: datagrams, a non-fatal error, then a `closed` with an error gives connectionLost(exc) once", async () => {
    const driver = new ScriptedDriver();
    await run(function* () {
      const loop = getRunningLoop();
      const task = loop.createTask(loop.createDatagramEndpoint(() => new Recorder(), { localAddr: LOCAL }));
      yield* sleep(0);
      const id = driver.commands[0].id;
      driver.push({ kind: "connected", id, local: LOCAL, remote: null });
      // a datagram in the same batch as `connected` reaches the protocol after connectionMade
      driver.push({ kind: "datagram", id, bytes: new TextEncoder().encode("a"), addr: PEER });
      const [t, p] = yield* task;
      driver.push({ kind: "error", id, error: { name: "Error", code: "ECONNRESET", message: "recvmsg ECONNRESET" } });
      driver.push({ kind: "datagram", id, bytes: new TextEncoder().encode("b"), addr: ["::1", 7] });
      driver.push({ kind: "closed", id, error: { name: "Error", code: "ECONNRESET", message: "gone" } });
      driver.push({ kind: "closed", id, error: null });
      yield* sleep(0);
      yield* sleep(0);
      expect(p.log).toEqual([
        "made",
        "data a from 127.0.0.1:5000",
        `error ${ConnectionResetError.name}`,
        "data b from ::1:7",
        "lost ConnectionResetError",
      ]);
      expect(t.isClosing()).toBe(true);
      t.close(); // gone already: nothing is sent
      expect(driver.ops()).toEqual([`bindDatagram:${id}`]);
      expect(String(t as DatagramTransport)).toBe("<UDP transport 127.0.0.1:4000 closed>");
    }, { driver });
  });
});

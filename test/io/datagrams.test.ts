// UDP endpoints on real sockets (127.0.0.1 and ::1, port 0), ported from CPython's
// test_events.py (test_create_datagram_endpoint*, MyDatagramProto) and the
// create_datagram_endpoint cases of test_base_events.py that make sense on real sockets,
// plus the transport's sendto rules from test_selector_events.py. Every test ends with no
// resource open.

import { describe, expect, it, vi } from "vitest";
import type { Socket } from "node:dgram";
import {
  ConnectionRefusedError,
  DatagramProtocol,
  DatagramTransport,
  OSError,
  ValueError,
  CancelledError,
  NotImplementedError,
  TimersDriver,
  getRunningLoop,
  newEventLoop,
  run,
  sleep,
} from "../../src/index.ts";
import type { EventLoop, Future } from "../../src/index.ts";
import { CORES } from "../helpers.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

/** test_events.MyDatagramProto: asserts its state machine, counts bytes, resolves `done` on close. */
class MyDatagramProto extends DatagramProtocol {
  state = "INITIAL";
  nbytes = 0;
  transport: DatagramTransport | null = null;
  received: [string, [string, number]][] = [];
  errors: Error[] = [];
  lost: (Error | null)[] = [];
  done: Future<void> | null;

  constructor(loop?: EventLoop) {
    super();
    this.done = loop ? loop.createFuture<void>() : null;
  }
  private assertState(expected: string): void {
    if (this.state !== expected) throw new Error(`state: ${this.state}, expected: ${expected}`);
  }
  override connectionMade(transport: DatagramTransport): void {
    this.transport = transport;
    this.assertState("INITIAL");
    this.state = "INITIALIZED";
  }
  override datagramReceived(data: Uint8Array, addr: [string, number]): void {
    this.assertState("INITIALIZED");
    this.nbytes += data.length;
    this.received.push([dec(data), addr]);
  }
  override errorReceived(exc: Error): void {
    this.assertState("INITIALIZED");
    this.errors.push(exc);
  }
  override connectionLost(exc: Error | null): void {
    this.assertState("INITIALIZED");
    this.state = "CLOSED";
    this.lost.push(exc);
    this.done?.setResult(undefined);
  }
}

/** Answers every datagram with `resp:` + the datagram, to its sender. */
class EchoProto extends MyDatagramProto {
  override datagramReceived(data: Uint8Array, addr: [string, number]): void {
    super.datagramReceived(data, addr);
    this.transport!.sendto(new Uint8Array([...enc("resp:"), ...data]), addr);
  }
}

/** test_utils.run_until: poll `pred` between short sleeps (a real socket needs real time). */
function* until(pred: () => boolean, what: string): Generator<unknown, void, unknown> {
  for (let i = 0; i < 500; i++) {
    if (pred()) return;
    yield* sleep(0.005);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** What run() itself keeps open (its SIGINT handler), taken when main starts. */
let baseline: unknown[] = [];

/** The resources open now that main opened (run()'s own excluded). */
function opened(loop: EventLoop): unknown[] {
  return loop._openResources().filter((r) => !baseline.includes(r));
}

/** Run `main` under run(); before it returns, every resource main opened has closed. */
async function runClean<T>(main: () => Generator<unknown, T, unknown>, options = {}): Promise<T> {
  let loop: EventLoop | null = null;
  const value = await run(function* () {
    loop = getRunningLoop();
    baseline = loop._openResources();
    const v = yield* main();
    // the last `closed` events may still be on their way
    yield* until(() => opened(loop!).length === 0, "every resource to close");
    return v;
  }, options);
  expect(loop!.isClosed()).toBe(true);
  return value;
}

function* bindServer(proto: () => MyDatagramProto = () => new EchoProto(getRunningLoop())) {
  const loop = getRunningLoop();
  return yield* loop.createDatagramEndpoint(proto, { localAddr: ["127.0.0.1", 0] });
}

describe("createDatagramEndpoint: echo on real sockets (test_events._test_create_datagram_endpoint)", () => {
  for (const [label, host, family] of [["IPv4", "127.0.0.1", 4], ["IPv6", "::1", 6]] as const) {
    for (const core of CORES) {
      it(`${label}, ${core} core: server + connected client, resp:xxx comes back, connectionLost(null) once`, async () => {
        await runClean(function* () {
          const loop = getRunningLoop();
          const [sTransport, server] = yield* loop.createDatagramEndpoint(() => new EchoProto(loop), {
            localAddr: [host, 0],
            family,
          });
          const sockname = sTransport.getExtraInfo("sockname") as [string, number];
          expect(sockname[0]).toBe(host);
          expect(sockname[1]).toBeGreaterThan(0);
          expect(sTransport).toBeInstanceOf(DatagramTransport);
          expect(server).toBeInstanceOf(EchoProto);
          expect(server.state).toBe("INITIALIZED"); // connectionMade ran before the call returned
          expect(server.transport).toBe(sTransport);
          expect(sTransport.getExtraInfo("peername")).toBe(null);

          const [transport, client] = yield* loop.createDatagramEndpoint(() => new MyDatagramProto(loop), {
            remoteAddr: sockname,
          });
          expect(client.state).toBe("INITIALIZED");
          expect(client.transport).toBe(transport);
          expect(transport.getExtraInfo("peername")).toEqual(sockname);
          const clientName = transport.getExtraInfo("sockname") as [string, number];
          expect(clientName[0]).toBe(host);

          transport.sendto(enc("xxx"));
          yield* until(() => server.nbytes > 0, "the server's datagram");
          expect(server.nbytes).toBe(3);
          expect(server.received).toEqual([["xxx", clientName]]); // addr is [host, port]
          yield* until(() => client.nbytes > 0, "the echo");
          expect(client.nbytes).toBe(8);
          expect(client.received).toEqual([["resp:xxx", sockname]]);

          transport.close();
          expect(transport.isClosing()).toBe(true);
          yield* client.done!;
          expect(client.state).toBe("CLOSED");
          expect(client.lost).toEqual([null]);
          sTransport.close();
          yield* server.done!;
          expect(server.lost).toEqual([null]);
        }, { core });
      });
    }
  }

  it("an unconnected endpoint sends to any address and hears from any sender", async () => {
    await runClean(function* () {
      const loop = getRunningLoop();
      const [s1, p1] = yield* bindServer(() => new MyDatagramProto(loop));
      const [s2, p2] = yield* bindServer(() => new MyDatagramProto(loop));
      const a1 = s1.getExtraInfo("sockname");
      const a2 = s2.getExtraInfo("sockname");
      s1.sendto(enc("one"), a2);
      s2.sendto(enc("two"), a1);
      s2.sendto(enc("three"), [...a1] as [string, number]);
      yield* until(() => p1.received.length === 2 && p2.received.length === 1, "three datagrams");
      expect(p2.received).toEqual([["one", a1]]);
      expect(p1.received).toEqual([["two", a2], ["three", a2]]);
      s1.close();
      s2.close();
      yield* p1.done!;
      yield* p2.done!;
    });
  });

  it("datagramReceived gets a plain Uint8Array; an empty datagram arrives as one; sendto copies its data", async () => {
    await runClean(function* () {
      const loop = getRunningLoop();
      const got: Uint8Array[] = [];
      class Keep extends MyDatagramProto {
        override datagramReceived(data: Uint8Array, addr: [string, number]) {
          super.datagramReceived(data, addr);
          got.push(data);
        }
      }
      const [server, sp] = yield* bindServer(() => new Keep(loop));
      const [client, cp] = yield* loop.createDatagramEndpoint(() => new MyDatagramProto(loop), {
        remoteAddr: server.getExtraInfo("sockname"),
      });
      const buf = enc("abc");
      client.sendto(buf);
      buf[0] = 0x7a; // the datagram already left with "abc"
      client.sendto(new Uint8Array(0));
      client.sendto(new Uint16Array([0x4241]) as unknown as Uint8Array); // any ArrayBufferView, as memoryview
      yield* until(() => got.length === 3, "three datagrams");
      expect(Object.getPrototypeOf(got[0])).toBe(Uint8Array.prototype);
      expect(dec(got[0])).toBe("abc");
      expect(got[1].length).toBe(0);
      expect(dec(got[2])).toBe("AB");
      client.close();
      server.close();
      yield* cp.done!;
      yield* sp.done!;
    });
  });

  it("a host name is resolved: localAddr ['localhost', 0]", async () => {
    await runClean(function* () {
      const loop = getRunningLoop();
      const [t, p] = yield* loop.createDatagramEndpoint(() => new MyDatagramProto(loop), { localAddr: ["localhost", 0] });
      const [host, port] = t.getExtraInfo("sockname") as [string, number];
      expect(["127.0.0.1", "::1"]).toContain(host);
      expect(port).toBeGreaterThan(0);
      t.close();
      yield* p.done!;
    });
  });

  it("family alone binds an any-address socket that can send (test_create_datagram_endpoint_socket_err's family=AF_INET)", async () => {
    await runClean(function* () {
      const loop = getRunningLoop();
      const [server, sp] = yield* bindServer(() => new MyDatagramProto(loop));
      const [t, p] = yield* loop.createDatagramEndpoint(() => new MyDatagramProto(loop), { family: 4 });
      expect((t.getExtraInfo("sockname") as [string, number])[0]).toBe("0.0.0.0");
      t.sendto(enc("hi"), server.getExtraInfo("sockname"));
      yield* until(() => sp.nbytes === 2, "the datagram");
      t.close();
      server.close();
      yield* p.done!;
      yield* sp.done!;
    });
  });

  it("allowBroadcast with remoteAddr does not connect; sendto(data) goes to remoteAddr (test_create_datagram_endpoint_allow_broadcast)", async () => {
    await runClean(function* () {
      const loop = getRunningLoop();
      const [server, sp] = yield* bindServer(() => new MyDatagramProto(loop));
      const addr = server.getExtraInfo("sockname") as [string, number];
      const [t, p] = yield* loop.createDatagramEndpoint(() => new MyDatagramProto(loop), {
        remoteAddr: addr,
        allowBroadcast: true,
      });
      expect(t.getExtraInfo("peername")).toBe(null);
      expect((t.getExtraInfo("socket") as Socket).getRecvBufferSize()).toBeGreaterThan(0);
      t.sendto(enc("bc"));
      expect(() => t.sendto(enc("no"), ["127.0.0.1", addr[1] === 9 ? 10 : 9])).toThrow(ValueError);
      yield* until(() => sp.nbytes === 2, "the datagram");
      t.close();
      yield* p.done!;
      expect(p.state).toBe("CLOSED");
      server.close();
      yield* sp.done!;
    });
  });

  it("reuseAddress lets two endpoints bind one port; without it the second bind is EADDRINUSE", async () => {
    await runClean(function* () {
      const loop = getRunningLoop();
      const [a, pa] = yield* loop.createDatagramEndpoint(() => new MyDatagramProto(loop), {
        localAddr: ["127.0.0.1", 0],
        reuseAddress: true,
      });
      const addr = a.getExtraInfo("sockname") as [string, number];
      const [b, pb] = yield* loop.createDatagramEndpoint(() => new MyDatagramProto(loop), {
        localAddr: addr,
        reuseAddress: true,
      });
      expect(b.getExtraInfo("sockname")).toEqual(addr);
      let caught: unknown = null;
      try {
        yield* loop.createDatagramEndpoint(() => new MyDatagramProto(loop), { localAddr: addr });
      } catch (exc) {
        caught = exc;
      }
      expect(caught).toBeInstanceOf(OSError);
      expect((caught as OSError).code).toBe("EADDRINUSE");
      a.close();
      b.close();
      yield* pa.done!;
      yield* pb.done!;
    });
  });
});

describe("DatagramTransport.sendto rules (test_selector_events: test_sendto_str, test_sendto_connected_addr, test_sendto_closing)", () => {
  it("refuses a string and a non-bytes value with TypeError, naming the argument", async () => {
    await runClean(function* () {
      const [t, p] = yield* bindServer(() => new MyDatagramProto(getRunningLoop()));
      const addr = t.getExtraInfo("sockname");
      expect(() => t.sendto("str" as never, addr)).toThrow(/^sendto\(data\): data must be a bytes-like object \(a Uint8Array\), not a string$/);
      expect(() => t.sendto([1, 2] as never, addr)).toThrow(TypeError);
      expect(() => t.sendto(null as never, addr)).toThrow(TypeError);
      t.close();
      yield* p.done!;
    });
  });

  it("an unconnected endpoint needs an address: none is TypeError, a bad one TypeError/ValueError", async () => {
    await runClean(function* () {
      const [t, p] = yield* bindServer(() => new MyDatagramProto(getRunningLoop()));
      expect(() => t.sendto(enc("x"))).toThrow(/addr is required on an endpoint made without remoteAddr/);
      expect(() => t.sendto(enc("x"), null)).toThrow(TypeError);
      expect(() => t.sendto(enc("x"), ["127.0.0.1", 70000])).toThrow(ValueError);
      expect(() => t.sendto(enc("x"), ["127.0.0.1", 70000])).toThrow(/port must be an integer 1-65535, got 70000/);
      expect(() => t.sendto(enc("x"), ["127.0.0.1", 0])).toThrow(ValueError);
      expect(() => t.sendto(enc("x"), "abc" as never)).toThrow(TypeError);
      expect(() => t.sendto(enc("x"), [1, 2] as never)).toThrow(TypeError);
      expect(t.isClosing()).toBe(false); // a refused call leaves the endpoint as it was
      t.close();
      yield* p.done!;
      expect(p.errors).toEqual([]);
    });
  });

  it("a connected endpoint accepts no address or its own, and raises ValueError for another", async () => {
    await runClean(function* () {
      const loop = getRunningLoop();
      const [server, sp] = yield* bindServer(() => new MyDatagramProto(loop));
      const addr = server.getExtraInfo("sockname") as [string, number];
      const [t, p] = yield* loop.createDatagramEndpoint(() => new MyDatagramProto(loop), { remoteAddr: addr });
      const other: [string, number] = ["127.0.0.1", addr[1] === 1 ? 2 : 1];
      expect(() => t.sendto(enc("y"), other)).toThrow(ValueError);
      expect(() => t.sendto(enc("y"), other)).toThrow(`Invalid address: must be null or ["127.0.0.1",${addr[1]}], got ["127.0.0.1",${other[1]}]`);
      t.sendto(enc("a"));
      t.sendto(enc("b"), null);
      t.sendto(enc("c"), [addr[0], addr[1]]);
      yield* until(() => sp.received.length === 3, "three datagrams");
      expect(sp.received.map(([d]) => d)).toEqual(["a", "b", "c"]);
      t.close();
      server.close();
      yield* p.done!;
      yield* sp.done!;
    });
  });

  it("after close(): isClosing, close() again is a no-op, sendto is dropped, connectionLost(null) once", async () => {
    await runClean(function* () {
      const loop = getRunningLoop();
      const [server, sp] = yield* bindServer(() => new MyDatagramProto(loop));
      const [t, p] = yield* loop.createDatagramEndpoint(() => new MyDatagramProto(loop), {
        remoteAddr: server.getExtraInfo("sockname"),
      });
      expect(t.getWriteBufferSize()).toBe(0);
      t.close();
      t.close();
      t.sendto(enc("late")); // dropped, no error
      t.abort(); // after close: drops what is unsent; still one connectionLost
      yield* p.done!;
      yield* sleep(0.02);
      expect(p.lost).toEqual([null]);
      expect(t.getExtraInfo("socket")).toBe(null);
      expect(sp.received).toEqual([]);
      server.close();
      yield* sp.done!;
    });
  });

  it("abort(): connectionLost(null) exactly once", async () => {
    await runClean(function* () {
      const loop = getRunningLoop();
      const [t, p] = yield* bindServer(() => new MyDatagramProto(loop));
      t.abort();
      t.abort();
      t.close();
      expect(t.isClosing()).toBe(true);
      yield* p.done!;
      yield* sleep(0.02);
      expect(p.lost).toEqual([null]);
    });
  });

  it("close() still sends the datagrams handed over before it", async () => {
    await runClean(function* () {
      const loop = getRunningLoop();
      const [server, sp] = yield* bindServer(() => new MyDatagramProto(loop));
      const [t, p] = yield* loop.createDatagramEndpoint(() => new MyDatagramProto(loop), {
        remoteAddr: server.getExtraInfo("sockname"),
      });
      for (let i = 0; i < 20; i++) t.sendto(enc(`m${i}`));
      t.close();
      yield* p.done!;
      yield* until(() => sp.received.length === 20, "20 datagrams");
      expect(sp.received.map(([d]) => d)).toEqual(Array.from({ length: 20 }, (_, i) => `m${i}`));
      server.close();
      yield* sp.done!;
    });
  });
});

describe("errors reach errorReceived and the endpoint stays open (test_sendto_error_received_connected)", () => {
  it("a connected endpoint whose peer has no socket gets ConnectionRefusedError, then keeps working", async () => {
    await runClean(function* () {
      const loop = getRunningLoop();
      // a port nobody listens on: bind one, note it, close it
      const [gone, gp] = yield* bindServer(() => new MyDatagramProto(loop));
      const deadAddr = gone.getExtraInfo("sockname") as [string, number];
      gone.close();
      yield* gp.done!;

      const [t, p] = yield* loop.createDatagramEndpoint(() => new MyDatagramProto(loop), { remoteAddr: deadAddr });
      t.sendto(enc("q"));
      yield* until(() => p.errors.length > 0, "errorReceived");
      expect(p.errors[0]).toBeInstanceOf(ConnectionRefusedError);
      expect((p.errors[0] as OSError).code).toBe("ECONNREFUSED");
      expect(t.isClosing()).toBe(false);
      expect(p.state).toBe("INITIALIZED");
      t.sendto(enc("q"));
      yield* until(() => p.errors.length > 1, "a second errorReceived");
      t.close();
      yield* p.done!;
      expect(p.lost).toEqual([null]);
    });
  });
});

describe("createDatagramEndpoint: bad input throws at the call (test_base_events)", () => {
  it("rejects bad arguments before any socket exists, and the loop carries on", async () => {
    await runClean(function* () {
      const loop = getRunningLoop();
      const P = () => new DatagramProtocol();
      // test_create_datagram_endpoint_noaddr_nofamily
      expect(() => loop.createDatagramEndpoint(P)).toThrow(ValueError);
      expect(() => loop.createDatagramEndpoint(P, {})).toThrow(/unexpected address family/);
      // port out of range (CPython: OverflowError from bind)
      expect(() => loop.createDatagramEndpoint(P, { localAddr: ["127.0.0.1", 70000] })).toThrow(
        "createDatagramEndpoint(): localAddr port must be an integer 0-65535, got 70000",
      );
      expect(() => loop.createDatagramEndpoint(P, { localAddr: ["127.0.0.1", -1] })).toThrow(ValueError);
      expect(() => loop.createDatagramEndpoint(P, { localAddr: ["127.0.0.1", 1.5] })).toThrow(ValueError);
      expect(() => loop.createDatagramEndpoint(P, { localAddr: ["127.0.0.1", "80"] as never })).toThrow(TypeError);
      expect(() => loop.createDatagramEndpoint(P, { remoteAddr: ["127.0.0.1", 0] })).toThrow(/remoteAddr port must be an integer 1-65535, got 0/);
      expect(() => loop.createDatagramEndpoint(P, { remoteAddr: ["", 53] })).toThrow(ValueError);
      // test_create_datagram_endpoint_addr_error: not a pair
      expect(() => loop.createDatagramEndpoint(P, { localAddr: "localhost" as never })).toThrow(TypeError);
      expect(() => loop.createDatagramEndpoint(P, { localAddr: ["localhost", 1, 2, 3] as never })).toThrow(
        /localAddr must be a \[host, port\] pair/,
      );
      expect(() => loop.createDatagramEndpoint(P, { localAddr: [5, 5] as never })).toThrow(TypeError);
      // test_create_datagram_endpoint_no_matching_family
      expect(() => loop.createDatagramEndpoint(P, { localAddr: ["::1", 0], remoteAddr: ["127.0.0.1", 5] })).toThrow(
        /can not get address information/,
      );
      expect(() => loop.createDatagramEndpoint(P, { localAddr: ["127.0.0.1", 0], family: 6 })).toThrow(ValueError);
      expect(() => loop.createDatagramEndpoint(P, { family: 5 as never })).toThrow(/family must be 4, 6 or 0, got 5/);
      expect(() => loop.createDatagramEndpoint(P, { family: 4, reuseAddress: "yes" as never })).toThrow(
        /reuseAddress must be a boolean/,
      );
      expect(() => loop.createDatagramEndpoint(P, { family: 4, allowBroadcast: 1 as never })).toThrow(TypeError);
      expect(() => loop.createDatagramEndpoint(null as never, { family: 4 })).toThrow(/protocolFactory must be a function/);
      expect(() => loop.createDatagramEndpoint(P, 5 as never)).toThrow(/options must be an object/);
      expect(opened(loop)).toEqual([]);
      // and the loop still works
      const [t, p] = yield* loop.createDatagramEndpoint(() => new MyDatagramProto(loop), { family: 4 });
      t.close();
      yield* p.done!;
    });
  });

  it("the coroutine is lazy: nothing is bound until it is driven", async () => {
    await runClean(function* () {
      const loop = getRunningLoop();
      const coro = loop.createDatagramEndpoint(() => new MyDatagramProto(loop), { family: 4 });
      expect(opened(loop)).toEqual([]);
      const [t, p] = yield* coro;
      expect(opened(loop)).toEqual([t]);
      t.close();
      yield* p.done!;
    });
  });
});

describe("failures while creating leave nothing open", () => {
  it("an address that is not ours: OSError EADDRNOTAVAIL (test_create_datagram_endpoint_cant_bind)", async () => {
    await runClean(function* () {
      const loop = getRunningLoop();
      let made = 0;
      let caught: unknown = null;
      try {
        yield* loop.createDatagramEndpoint(() => { made++; return new DatagramProtocol(); }, { localAddr: ["192.0.2.1", 0] });
      } catch (exc) {
        caught = exc;
      }
      expect(caught).toBeInstanceOf(OSError);
      expect((caught as OSError).code).toBe("EADDRNOTAVAIL");
      expect(made).toBe(0); // the factory runs only once the socket is bound, as asyncio
      expect(opened(loop)).toEqual([]);
    });
  });

  it("a name that does not resolve, local or remote: OSError", async () => {
    await runClean(function* () {
      const loop = getRunningLoop();
      let caught: unknown = null;
      try {
        yield* loop.createDatagramEndpoint(() => new DatagramProtocol(), { localAddr: ["no-such-host.invalid", 0] });
      } catch (exc) {
        caught = exc;
      }
      expect(caught).toBeInstanceOf(OSError);
      expect(["ENOTFOUND", "EAI_AGAIN"]).toContain((caught as OSError).code);
      caught = null;
      try {
        yield* loop.createDatagramEndpoint(() => new DatagramProtocol(), { remoteAddr: ["no-such-host.invalid", 53], family: 4 });
      } catch (exc) {
        caught = exc;
      }
      expect(caught).toBeInstanceOf(OSError);
      expect(["ENOTFOUND", "EAI_AGAIN"]).toContain((caught as OSError).code);
    });
  });

  it("a factory that throws: the error comes out of the call and the socket is closed", async () => {
    await runClean(function* () {
      const loop = getRunningLoop();
      const boom = new Error("boom");
      let caught: unknown = null;
      try {
        yield* loop.createDatagramEndpoint(() => { throw boom; }, { localAddr: ["127.0.0.1", 0] });
      } catch (exc) {
        caught = exc;
      }
      expect(caught).toBe(boom);
      let caught2: unknown = null;
      try {
        yield* loop.createDatagramEndpoint(() => 42 as never, { family: 4 });
      } catch (exc) {
        caught2 = exc;
      }
      expect(caught2).toBeInstanceOf(TypeError);
      expect(String(caught2)).toMatch(/the factory must return a protocol object, got 42/);
      expect(opened(loop)).toEqual([]);
    });
  });

  it("connectionMade that throws goes to the exception handler; the endpoint is still returned", async () => {
    await runClean(function* () {
      const loop = getRunningLoop();
      const seen: unknown[] = [];
      loop.setExceptionHandler((_l, ctx) => seen.push(ctx.exception));
      const boom = new Error("made");
      class Bad extends MyDatagramProto {
        override connectionMade(t: DatagramTransport) {
          super.connectionMade(t);
          throw boom;
        }
      }
      const [t, p] = yield* loop.createDatagramEndpoint(() => new Bad(loop), { family: 4 });
      expect(seen).toEqual([boom]);
      t.close();
      yield* p.done!;
    });
  });

  it("cancelled while binding: CancelledError, and the socket is closed", async () => {
    await runClean(function* () {
      const loop = getRunningLoop();
      let made = 0;
      const task = loop.createTask(loop.createDatagramEndpoint(() => { made++; return new DatagramProtocol(); }, { localAddr: ["127.0.0.1", 0] }));
      yield* sleep(0); // the task sent bindDatagram and waits for the host
      expect(opened(loop).length).toBe(1);
      task.cancel();
      let caught: unknown = null;
      try {
        yield* task;
      } catch (exc) {
        caught = exc;
      }
      expect(caught).toBeInstanceOf(CancelledError);
      expect(opened(loop)).toEqual([]);
      yield* sleep(0.02); // the late `connected` event is dropped
      expect(made).toBe(0);
    });
  });
});

describe("extra info and shutdown", () => {
  it("getExtraInfo: sockname, peername, socket (the Node dgram.Socket), a default for the rest", async () => {
    await runClean(function* () {
      const [t, p] = yield* bindServer(() => new MyDatagramProto(getRunningLoop()));
      const sock = t.getExtraInfo("socket") as Socket;
      expect(sock.address()).toEqual({ address: "127.0.0.1", family: "IPv4", port: (t.getExtraInfo("sockname") as [string, number])[1] });
      expect(t.getExtraInfo("peercert")).toBe(null);
      expect(t.getExtraInfo("nothing", "dflt")).toBe("dflt");
      expect(String(t)).toBe(`<UDP transport 127.0.0.1:${sock.address().port}>`);
      t.close();
      expect(String(t)).toMatch(/ closing>$/);
      yield* p.done!;
      expect(String(t)).toMatch(/ closed>$/);
    });
  });

  it("run() closes an endpoint main left open, without calling its protocol", async () => {
    let sock: Socket | null = null;
    let proto: MyDatagramProto | null = null;
    let loop: EventLoop | null = null;
    await run(function* () {
      loop = getRunningLoop();
      const [t, p] = yield* bindServer(() => new MyDatagramProto(getRunningLoop()));
      sock = t.getExtraInfo("socket") as Socket;
      proto = p;
    });
    expect(loop!.isClosed()).toBe(true);
    expect(() => sock!.address()).toThrow(/Not running/);
    expect(proto!.state).toBe("INITIALIZED");
  });
});

describe("hosts and debug mode", () => {
  it("a host without UDP: NotImplementedError at the call, naming the feature", () => {
    const loop = newEventLoop({ driver: new TimersDriver("browser") });
    try {
      expect(() => loop.createDatagramEndpoint(() => new DatagramProtocol(), { family: 4 })).toThrow(NotImplementedError);
      expect(() => loop.createDatagramEndpoint(() => new DatagramProtocol(), { family: 4 })).toThrow(
        "UDP datagrams are not available on browser",
      );
      expect(loop._openResources()).toEqual([]);
    } finally {
      loop.close();
    }
  });

  it("a closed loop: RuntimeError at the call", () => {
    const loop = newEventLoop();
    loop.close();
    expect(() => loop.createDatagramEndpoint(() => new DatagramProtocol(), { family: 4 })).toThrow(/Event loop is closed/);
  });

  it("debug mode reports a createDatagramEndpoint coroutine that was never driven", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    try {
      await run(function* () {
        getRunningLoop().createDatagramEndpoint(() => new DatagramProtocol(), { family: 4 }); // the bug: no yield*
        yield* sleep(0);
      }, { debug: true });
      const lines = warn.mock.calls.map((c) => String(c[0])).filter((l) => l.includes("never awaited"));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain("coroutine 'createDatagramEndpoint' was never awaited");
    } finally {
      warn.mockRestore();
    }
  });
});

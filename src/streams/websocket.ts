// A WebSocket as a stream pair: `openWebSocket(url)` → `[StreamReader, StreamWriter]`, over the
// host's global WebSocket (browsers, Deno, Bun, Node ≥ 22) through the driver's
// `connectWebSocket` command. The connection is a stream resource like a TCP socket (io/web.ts
// emits the same events), so the transport, reader and writer are the ones openConnection uses:
// - each message received appends its bytes to the reader (a text message: its UTF-8 bytes);
//   message boundaries are not kept — it is a byte stream, as TCP is;
// - `writer.write(bytes)` sends one binary message; `drain()` waits while the bytes the host has
//   not sent yet (its `bufferedAmount`) are over the transport's high-water mark (64 KiB);
// - the peer's clean close is EOF (`read()` returns an empty Uint8Array); a connection that
//   fails to open is ConnectionRefusedError, one that drops is ConnectionResetError;
// - a WebSocket cannot half-close: `canWriteEof()` is false and `writeEof()` raises.

import { CancelledError, ConnectionError, NotImplementedError, ValueError, describe, errorFromWire } from "../errors.js";
import type { EventLoop } from "../loop/event-loop.js";
import { trackCoroutine } from "../loop/debug.js";
import { _getRunningLoop } from "../loop/running.js";
import type { Future } from "../tasks/futures.js";
import type { Coro } from "../tasks/tasks.js";
import type { HostEvent, Resource } from "../io/driver.js";
import { DEFAULT_LIMIT, StreamReader, StreamReaderProtocol, StreamWriter } from "./streams.js";
import { StreamTransport } from "./transports.js";
import { checkOptions, runningLoop } from "./sockets.js";

/** `openWebSocket`'s options. */
export interface WebSocketOptions {
  /** Subprotocols to offer (`Sec-WebSocket-Protocol`); the one the server chose is `writer.getExtraInfo("subprotocol")`. */
  protocols?: string | string[];
  /** The reader's buffer limit (default 64 KiB), as openConnection's. */
  limit?: number;
}

// RFC 6455 / RFC 7230: a subprotocol is a token
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

function checkUrl(url: unknown, where: string): string {
  let text: string;
  if (url instanceof URL) text = url.href;
  else if (typeof url === "string" && url !== "") text = url;
  else throw new TypeError(`${where}: url must be a ws:// or wss:// URL (a string or URL), got ${describe(url)}`);
  const base = (globalThis as { location?: { href?: string } }).location?.href;
  let parsed: URL;
  try {
    parsed = base !== undefined ? new URL(text, base) : new URL(text);
  } catch {
    throw new ValueError(`${where}: url ${describe(text)} is not a valid URL${base === undefined ? " (relative URLs need a page to resolve against)" : ""}`);
  }
  if (parsed.protocol === "http:") parsed.protocol = "ws:";
  else if (parsed.protocol === "https:") parsed.protocol = "wss:";
  if (parsed.protocol !== "ws:" && parsed.protocol !== "wss:") {
    throw new ValueError(`${where}: url must use ws: or wss: (or http:/https:), got ${describe(text)}`);
  }
  if (parsed.hash !== "") throw new ValueError(`${where}: a WebSocket URL cannot have a fragment, got ${describe(text)}`);
  return parsed.href;
}

function checkProtocols(protocols: unknown, where: string): string[] {
  if (protocols === undefined || protocols === null) return [];
  const list = typeof protocols === "string" ? [protocols] : protocols;
  if (!Array.isArray(list)) throw new TypeError(`${where}: protocols must be a string or an array of strings, got ${describe(protocols)}`);
  const seen = new Set<string>();
  for (const p of list) {
    if (typeof p !== "string") throw new TypeError(`${where}: protocols must hold strings, got ${describe(p)}`);
    if (!TOKEN.test(p)) throw new ValueError(`${where}: subprotocol ${describe(p)} is not a valid token (letters, digits and !#$%&'*+-.^_\`|~, not empty)`);
    if (seen.has(p)) throw new ValueError(`${where}: subprotocol ${describe(p)} is offered twice`);
    seen.add(p);
  }
  return [...list];
}

function checkLimit(limit: unknown, where: string): number {
  if (limit === undefined || limit === null) return DEFAULT_LIMIT;
  if (typeof limit !== "number" || Number.isNaN(limit)) throw new TypeError(`${where}: limit must be a number of bytes, got ${describe(limit)}`);
  if (limit <= 0) throw new ValueError(`${where}: Limit cannot be <= 0, got ${limit}`);
  return limit;
}

function checkWebSocket(loop: EventLoop, where: string): void {
  if (!loop._host.supports("websocket")) {
    throw new NotImplementedError(`${where}: WebSocket connections are not available on ${loop._host.host}`);
  }
}

/** The loop's resource while the WebSocket opens; the transport takes the id over. */
class Opening implements Resource {
  constructor(
    private readonly loop: EventLoop,
    private readonly id: number,
    private readonly url: string,
    private readonly protocol: StreamReaderProtocol,
    readonly fut: Future<StreamTransport>,
  ) {}

  onEvent(event: HostEvent): void {
    const { loop, id, fut } = this;
    switch (event.kind) {
      case "connected": {
        loop._closeResource(id);
        const ws = loop._host.hostObject(id) as { protocol?: unknown } | null;
        const transport = new StreamTransport(loop, id, {
          extra: {
            peername: event.remote ?? this.url,
            sockname: null,
            subprotocol: typeof ws?.protocol === "string" ? ws.protocol : null,
          },
          kind: "WebSocket transport",
          canWriteEof: false,
        });
        if (fut.done()) {
          transport.abort(); // the opener was cancelled meanwhile
          return;
        }
        transport._start(this.protocol);
        fut.setResult(transport);
        return;
      }
      case "error":
        loop._closeResource(id);
        if (!fut.done()) fut.setException(errorFromWire(event.error));
        return;
      case "closed":
        loop._closeResource(id);
        if (!fut.done()) fut.setException(new ConnectionError(`the WebSocket connection to ${this.url} closed before it opened`));
        return;
      default:
        return;
    }
  }

  closeForShutdown(): void {
    this.loop._closeResource(this.id);
    this.loop._send({ op: "abort", id: this.id });
    if (!this.fut.done()) this.fut.cancel();
  }

  toString(): string {
    return `<opening WebSocket ${this.url}>`;
  }
}

function* openCoro(url: string, protocols: string[], limit: number, where: string): Coro<[StreamReader, StreamWriter]> {
  const loop = runningLoop(where);
  checkWebSocket(loop, where);
  const reader = new StreamReader({ limit, loop });
  const protocol = new StreamReaderProtocol(reader, null, { loop });
  const id = loop._newResourceId();
  const fut = loop.createFuture<StreamTransport>();
  loop._openResource(id, new Opening(loop, id, url, protocol, fut));
  try {
    loop._send({ op: "connectWebSocket", id, url, protocols });
  } catch (exc) {
    loop._closeResource(id);
    throw exc;
  }
  let transport: StreamTransport;
  try {
    transport = yield* fut;
  } catch (exc) {
    if (exc instanceof CancelledError) {
      if (fut.done() && !fut.cancelled() && fut.exception() === null) fut.result().close(); // opened, but the caller is gone
      else if (loop._hasResource(id)) {
        loop._closeResource(id);
        loop._send({ op: "abort", id });
      }
    }
    throw exc;
  }
  return [reader, new StreamWriter(transport, protocol, reader, loop)];
}

/**
 * Open a WebSocket as a `[reader, writer]` stream pair: each message received appends its bytes
 * to the reader, `writer.write(bytes)` sends one binary message, `drain()` waits while the
 * host's unsent bytes are over the high-water mark, and the peer's close is EOF. Where the host
 * has no WebSocket (Node 20, workerd without one) it raises `NotImplementedError` at the call.
 *
 * @example
 * const [reader, writer] = yield* openWebSocket("wss://echo.example/ws", { protocols: ["chat"] });
 * writer.write(new TextEncoder().encode("ping"));
 * yield* writer.drain();
 * const reply = yield* reader.read(100);
 * writer.close();
 * yield* writer.waitClosed();
 */
export function openWebSocket(url: string | URL, options?: WebSocketOptions): Coro<[StreamReader, StreamWriter]> {
  const where = "openWebSocket(url)";
  const href = checkUrl(url, where);
  const o = checkOptions<WebSocketOptions>(options, where, ["protocols", "limit"]);
  const protocols = checkProtocols(o.protocols, where);
  const limit = checkLimit(o.limit, where);
  const loop = _getRunningLoop();
  if (loop !== null) checkWebSocket(loop, where);
  return trackCoroutine(openCoro(href, protocols, limit, where), "openWebSocket");
}

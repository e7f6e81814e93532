// openWebSocket in headless Chromium against the harness's hand-written WebSocket server.

import { describe, expect, it } from "vitest";
import { PAGE_TIMEOUT_MS, runPage } from "./chromium-helpers.ts";

describe("openWebSocket in Chromium", () => {
  it("echo: lines, messages of every length class up to 1 MiB, writelines, a subprotocol, a clean close", async () => {
    const { result } = await runPage("ws-echo");
    expect(result.subprotocol).toBe("wasyncio.test");
    expect(result.peername).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/ws\/echo$/);
    expect(result.canWriteEof).toBe(false);
    expect(result.lines).toEqual(["alpha\n", "beta\n", "gamma\n"]);
    expect(result.readBack).toBe(1 + 125 + 126 + 65535 + 65536 + (1 << 20));
    expect(result.sizesOk).toBe(true);
    expect(result.writelines).toBe("xyz\n");
    expect(result.isClosing).toBe(true);
    expect(result.afterClose).toBe("");
    expect(result.open).toEqual([]);
  }, PAGE_TIMEOUT_MS);

  it("back-pressure: drain() holds a writer whose peer does not read, and returns once it does", async () => {
    const { result } = await runPage("ws-backpressure");
    const [, high] = result.limits;
    expect(high).toBe(64 * 1024);
    expect(result.afterWrites).toBe(96 * 256 * 1024);
    // the server read nothing: the bytes wait in the browser, drain() waits for them
    expect(result.serverReceivedWhileHeld).toBe(0);
    expect(result.held.drainDone).toBe(false);
    expect(result.held.buffered).toBeGreaterThan(high);
    expect(result.held.buffered).toBe(result.held.hostBuffered);
    // released: everything went out and came back
    expect(result.afterDrain).toBeLessThanOrEqual(high);
    expect(result.echoed).toBe(96 * 256 * 1024);
    expect(result.echoedOk).toBe(true);
    expect(result.serverReceived).toBe(96 * 256 * 1024);
    expect(result.open).toEqual([]);
  }, PAGE_TIMEOUT_MS);

  it("endings: the peer's close is EOF, a drop is ConnectionResetError, a refusal ConnectionRefusedError, close() flushes first, a slow reader pauses, cancel and run() clean up", async () => {
    const { result } = await runPage("ws-close");
    expect(result.serverClose).toEqual({ length: 0, atEof: true });
    expect(result.sendThenClose).toEqual([0, 1, 2, 3, 4, 1, 2, 3, 4, 5, 2, 3, 4, 5, 6]);
    expect(result.drop).toEqual(["ConnectionResetError", true, "ECONNRESET"]);
    expect(result.dropWaitClosed).toBe("ConnectionResetError");
    // [name, instanceof ConnectionRefusedError, instanceof ConnectionError, the message names the URL]
    expect(result.reject).toEqual(["ConnectionRefusedError", true, true, true]);
    expect(result.nobody).toEqual(["ConnectionRefusedError", true, true, true]);
    expect(result.flushedBeforeClose).toBe(3 << 20);
    expect(result.writeEof).toEqual(["NotImplementedError", true]);
    // a slow reader pauses the transport; the held messages arrive in order, then EOF
    expect(result.pausedWhileBehind).toBe(true);
    expect(result.slowReader).toEqual([200_000, true, true]);
    expect(result.cancelledOpen).toBe(true);
    expect(result.open).toEqual([]);
    // main returned with a WebSocket open: run() closed it (CLOSING or CLOSED)
    expect(result.leftOpenState).toBeGreaterThanOrEqual(2);
  }, PAGE_TIMEOUT_MS);

  it("bad arguments raise at the call, naming what was wrong", async () => {
    const { result } = await runPage("ws-args");
    expect(result.number).toBe("TypeError: openWebSocket(url): url must be a ws:// or wss:// URL (a string or URL), got 42");
    expect(result.empty).toMatch(/^TypeError: openWebSocket\(url\): url must be/);
    expect(result.scheme).toBe('ValueError: openWebSocket(url): url must use ws: or wss: (or http:/https:), got "ftp://127.0.0.1/x"');
    expect(result.fragment).toBe('ValueError: openWebSocket(url): a WebSocket URL cannot have a fragment, got "/ws/echo#frag"');
    expect(result.badProtocol).toMatch(/^ValueError: openWebSocket\(url\): subprotocol "has space" is not a valid token/);
    expect(result.dupProtocol).toBe('ValueError: openWebSocket(url): subprotocol "a" is offered twice');
    expect(result.protocolType).toBe("TypeError: openWebSocket(url): protocols must hold strings, got 1");
    expect(result.limit).toBe("ValueError: openWebSocket(url): Limit cannot be <= 0, got 0");
    expect(result.unknownOption).toBe("TypeError: openWebSocket(url): unknown option 'timeout' (known: protocols, limit)");
    // a path is taken relative to the page (http: → ws:), one protocol may be a plain string
    expect(result.relative).toEqual([true, "single"]);
    expect(result.open).toEqual([]);
  }, PAGE_TIMEOUT_MS);
});

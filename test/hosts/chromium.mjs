// A reusable harness: run a page in headless Chromium against a local static + WebSocket server.
//
//   import { runInChromium } from "./chromium.mjs";
//   const { logs, result, errors } = await runInChromium({
//     page: `import { run, sleep } from "wasyncio";
//            await run(function* () { yield* sleep(0.01); console.log("done"); });
//            done({ ok: true });`,
//     files: { "/work.mjs": "export const twice = (x) => 2 * x;" },
//     timeoutMs: 30_000,
//   });
//
// runInChromium({ page, files?, html?, timeoutMs?, server?, expectErrors? }) → Promise<{ logs, result, errors, url }>
// - `page`: the page's main module (JavaScript source, or `{ path }` of a file on disk). It is
//   served at /__runN/page.mjs and runs as a `<script type="module">` of /__runN/page.html; an
//   import map resolves "wasyncio" to /dist/index.mjs and "wasyncio/manual" to /dist/manual.mjs
//   (the repository's dist/, served as is: build it first). The page ends the run by calling
//   `done(value)` (a global): `value` (JSON-like data) becomes `result`. The harness reports
//   through a binding, so it adds no timers, polling or messages to the page. A module that
//   throws or rejects at top level, a module that fails to load, or an unhandled error or
//   rejection ends the run too: `result` is undefined, the error is in `errors` — and
//   runInChromium REJECTS with it (so tests fail loudly), unless you pass `expectErrors: true`.
// - `files`: more things to serve, by URL path: a string or Uint8Array (the content), or
//   `{ path }` (a file, or a directory served under that URL prefix when the key ends in "/").
// - `html`: extra markup put in <body> before the module runs.
// - `timeoutMs` (default 30 s): the whole run, launch to close; past it the browser is closed and
//   runInChromium rejects with the logs so far.
// - `server`: an already started server (startServer()) to reuse; by default one is started and
//   closed for this run.
// - `logs`: every console message of the page and of its workers (Chromium's own errors too, e.g.
//   a failed WebSocket handshake), as plain text for log/info and "type: text" for the others.
// Everything is closed by runInChromium itself (browser, profile dir, server), also on failure.
//
// startServer({ files? }) → Promise<{ url, wsUrl, port, mount(path, content), close() }>: the
// server alone, on 127.0.0.1 and a free port. Besides the files (and /dist/), it has:
// - `GET /data`: the text "wasyncio over fetch\n" (text/plain); `GET /json`: {"hello":"browser"};
//   `GET /closed-port`: {"port":N}, a port on 127.0.0.1 nobody listens on (it was free just now).
// - WebSocket endpoints (a hand-written RFC 6455 server; no extensions, so no compression):
//   - `/ws/echo`: every message comes back as it was sent (binary stays binary); a subprotocol
//     the client offers is accepted (the first one). `?name=NAME` counts the bytes received under
//     NAME (`GET /ws/stats?name=NAME` → {"received":N}); with `&hold=1` the server reads nothing
//     on it until `GET /ws/release?name=NAME` (to make a writer outrun its peer).
//   - `/ws/close?code=4000&reason=bye`: the server sends a close frame right after the handshake.
//   - `/ws/send?n=3&size=5`: the server sends n binary messages of `size` bytes (byte j of
//     message i is (i + j) % 256),
//     then a close frame (1000).
//   - `/ws/drop`: the server destroys the TCP connection on the first message (no close frame).
//   - `/ws/reject`: the handshake is refused with HTTP 403.
//
// ensureChromium() → the path of Chromium (/usr/bin/chromium); when it is missing, installs
// Debian's package with apt-get, or throws saying why that failed.
//
// Flags are those TOOLCHAIN.md lists for Debian's chromium 156 under playwright-core 1.65.

import { createServer } from "node:http";
import { createServer as createNetServer } from "node:net";
import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, extname, join, normalize, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

const HERE = dirname(fileURLToPath(import.meta.url));
export const REPO = resolve(HERE, "../..");
export const DIST = join(REPO, "dist");
export const CHROMIUM = "/usr/bin/chromium";
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

const MIME = {
  ".mjs": "text/javascript",
  ".js": "text/javascript",
  ".cjs": "text/javascript",
  ".html": "text/html; charset=utf-8",
  ".json": "application/json",
  ".wasm": "application/wasm",
  ".map": "application/json",
  ".txt": "text/plain; charset=utf-8",
  ".ts": "text/plain; charset=utf-8",
};

/** Chromium's path; installs Debian's package when it is missing (or says why it could not). */
export function ensureChromium() {
  if (existsSync(CHROMIUM)) return CHROMIUM;
  try {
    execFileSync("sh", ["-c", "apt-get update && apt-get install -y --no-install-recommends chromium"], {
      stdio: ["ignore", "pipe", "pipe"],
      timeout: 600_000,
    });
  } catch (e) {
    const out = `${e.stdout ?? ""}${e.stderr ?? ""}`.trim().split("\n").slice(-8).join("\n");
    throw new Error(`Chromium is not installed at ${CHROMIUM}, and installing Debian's chromium package failed (${e.message.split("\n")[0]}):\n${out}`);
  }
  if (!existsSync(CHROMIUM)) throw new Error(`apt-get installed chromium but ${CHROMIUM} is still missing`);
  return CHROMIUM;
}

// ---- the server -----------------------------------------------------------------------------------

const WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/** One server-side WebSocket connection: frames in, frames out (RFC 6455, no extensions). */
class WsConn {
  constructor(socket, onMessage, onClose) {
    this.socket = socket;
    this.onMessage = onMessage;
    this.onClose = onClose;
    this.buf = Buffer.alloc(0);
    this.fragments = [];
    this.fragOpcode = 0;
    this.closed = false;
    socket.on("data", (chunk) => this.feed(chunk));
    socket.on("close", () => {
      if (!this.closed) {
        this.closed = true;
        this.onClose?.(1006);
      }
    });
    socket.on("error", () => {});
  }

  feed(chunk) {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    for (;;) {
      const b = this.buf;
      if (b.length < 2) return;
      const fin = (b[0] & 0x80) !== 0;
      const opcode = b[0] & 0x0f;
      const masked = (b[1] & 0x80) !== 0;
      let len = b[1] & 0x7f;
      let at = 2;
      if (len === 126) {
        if (b.length < 4) return;
        len = b.readUInt16BE(2);
        at = 4;
      } else if (len === 127) {
        if (b.length < 10) return;
        len = Number(b.readBigUInt64BE(2));
        at = 10;
      }
      const maskAt = at;
      if (masked) at += 4;
      if (b.length < at + len) return;
      const payload = Buffer.from(b.subarray(at, at + len));
      if (masked) for (let i = 0; i < len; i++) payload[i] ^= b[maskAt + (i & 3)];
      this.buf = b.subarray(at + len);
      this.frame(fin, opcode, payload);
      if (this.closed) return;
    }
  }

  frame(fin, opcode, payload) {
    if (opcode === 0x8) {
      const code = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
      if (!this.closed) {
        this.closed = true;
        this.sendFrame(0x8, payload.length >= 2 ? payload.subarray(0, 2) : Buffer.alloc(0));
        this.socket.end();
        this.onClose?.(code);
      }
      return;
    }
    if (opcode === 0x9) return this.sendFrame(0xa, payload); // ping → pong
    if (opcode === 0xa) return;
    if (opcode !== 0) {
      this.fragOpcode = opcode;
      this.fragments = [];
    }
    this.fragments.push(payload);
    if (!fin) return;
    const data = this.fragments.length === 1 ? this.fragments[0] : Buffer.concat(this.fragments);
    this.fragments = [];
    this.onMessage?.(data, this.fragOpcode === 0x2);
  }

  sendFrame(opcode, payload) {
    if (this.socket.destroyed) return;
    const len = payload.length;
    let head;
    if (len < 126) head = Buffer.from([0x80 | opcode, len]);
    else if (len < 65536) {
      head = Buffer.alloc(4);
      head[0] = 0x80 | opcode;
      head[1] = 126;
      head.writeUInt16BE(len, 2);
    } else {
      head = Buffer.alloc(10);
      head[0] = 0x80 | opcode;
      head[1] = 127;
      head.writeBigUInt64BE(BigInt(len), 2);
    }
    this.socket.write(head);
    if (len > 0) this.socket.write(payload);
  }

  send(data, binary = true) {
    this.sendFrame(binary ? 0x2 : 0x1, Buffer.isBuffer(data) ? data : Buffer.from(data));
  }

  close(code = 1000, reason = "") {
    if (this.closed) return;
    this.closed = true;
    const r = Buffer.from(reason);
    const p = Buffer.alloc(2 + r.length);
    p.writeUInt16BE(code, 0);
    r.copy(p, 2);
    this.sendFrame(0x8, p);
    // wait for the client's close frame (or its FIN), then end our side
    this.socket.once("data", () => this.socket.end());
    this.socket.once("end", () => this.socket.end());
  }
}

function contentFor(value) {
  if (typeof value === "string") return Buffer.from(value);
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  return null;
}

/**
 * Start the static + WebSocket server on 127.0.0.1 (a free port). `files` as runInChromium's.
 * Resolves to `{ url, wsUrl, port, close() }`; `close()` ends every connection and resolves
 * when the server is down.
 */
export async function startServer({ files = {} } = {}) {
  const mounts = { "/dist/": { path: DIST }, ...files };
  let runs = 0;
  const sockets = new Set();
  const named = new Map(); // name → { sockets: Set (held), released: boolean, received: number }
  const nameOf = (name) => {
    let h = named.get(name);
    if (h === undefined) named.set(name, (h = { sockets: new Set(), released: false, received: 0 }));
    return h;
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url, "http://127.0.0.1");
    const path = decodeURIComponent(url.pathname);
    const send = (status, type, body) => {
      res.writeHead(status, { "content-type": type, "cache-control": "no-store", "content-length": body.length });
      res.end(body);
    };
    if (path === "/favicon.ico") return send(204, "image/x-icon", Buffer.alloc(0));
    if (path === "/data") return send(200, "text/plain; charset=utf-8", Buffer.from("wasyncio over fetch\n"));
    if (path === "/closed-port") {
      // a port that was free a moment ago: bind it, close it, hand it out
      const probe = createNetServer();
      probe.listen(0, "127.0.0.1", () => {
        const { port: free } = probe.address();
        probe.close(() => send(200, "application/json", Buffer.from(JSON.stringify({ port: free }))));
      });
      return;
    }
    if (path === "/json") return send(200, "application/json", Buffer.from('{"hello":"browser"}'));
    if (path === "/ws/release") {
      const h = nameOf(url.searchParams.get("name") ?? "");
      h.released = true;
      for (const s of h.sockets) s.resume();
      return send(200, "text/plain", Buffer.from("released"));
    }
    if (path === "/ws/stats") {
      const h = nameOf(url.searchParams.get("name") ?? "");
      return send(200, "application/json", Buffer.from(JSON.stringify({ received: h.received })));
    }
    // exact files first, then directory mounts (longest prefix)
    let body = null;
    let file = null;
    const exact = mounts[path];
    if (exact !== undefined) {
      body = contentFor(exact);
      if (body === null && exact.path !== undefined && !path.endsWith("/")) file = exact.path;
    }
    if (body === null && file === null) {
      const prefix = Object.keys(mounts)
        .filter((k) => k.endsWith("/") && path.startsWith(k) && mounts[k].path !== undefined)
        .sort((a, b) => b.length - a.length)[0];
      if (prefix !== undefined) {
        const root = resolve(mounts[prefix].path);
        const candidate = normalize(join(root, path.slice(prefix.length)));
        if (candidate === root || candidate.startsWith(root + sep)) file = candidate;
      }
    }
    if (body === null && file !== null) {
      try {
        if (statSync(file).isFile()) body = readFileSync(file);
      } catch {
        body = null;
      }
    }
    if (body === null) return send(404, "text/plain", Buffer.from(`not found: ${path}`));
    send(200, MIME[extname(file ?? path)] ?? "application/octet-stream", body);
  });

  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });

  server.on("upgrade", (req, socket, head) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    const url = new URL(req.url, "http://127.0.0.1");
    const key = req.headers["sec-websocket-key"];
    if (url.pathname === "/ws/reject" || typeof key !== "string" || !url.pathname.startsWith("/ws/")) {
      socket.end("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
      return;
    }
    const accept = createHash("sha1").update(key + WS_GUID).digest("base64");
    const offered = String(req.headers["sec-websocket-protocol"] ?? "").split(",").map((s) => s.trim()).filter(Boolean);
    const lines = ["HTTP/1.1 101 Switching Protocols", "Upgrade: websocket", "Connection: Upgrade", `Sec-WebSocket-Accept: ${accept}`];
    if (offered.length > 0) lines.push(`Sec-WebSocket-Protocol: ${offered[0]}`);
    socket.write(lines.join("\r\n") + "\r\n\r\n");
    socket.setNoDelay(true);
    const name = url.searchParams.get("name");
    const stats = name !== null ? nameOf(name) : null;
    let conn;
    switch (url.pathname) {
      case "/ws/echo":
        conn = new WsConn(socket, (data, binary) => {
          if (stats !== null) stats.received += data.length;
          conn.send(data, binary);
        });
        if (stats !== null && url.searchParams.get("hold") === "1" && !stats.released) {
          stats.sockets.add(socket);
          socket.pause();
        }
        break;
      case "/ws/close":
        conn = new WsConn(socket, null);
        conn.close(Number(url.searchParams.get("code") ?? 1000), url.searchParams.get("reason") ?? "");
        break;
      case "/ws/send": {
        conn = new WsConn(socket, null);
        const n = Number(url.searchParams.get("n") ?? 1);
        const size = Number(url.searchParams.get("size") ?? 1);
        for (let i = 0; i < n; i++) {
          const msg = Buffer.alloc(size);
          for (let j = 0; j < size; j++) msg[j] = (i + j) % 256;
          conn.send(msg);
        }
        conn.close(1000, "");
        break;
      }
      case "/ws/drop":
        conn = new WsConn(socket, () => socket.destroy());
        break;
      default:
        socket.destroy();
        return;
    }
    if (head.length > 0) conn.feed(head);
  });

  await new Promise((ok, fail) => {
    server.once("error", fail);
    server.listen(0, "127.0.0.1", ok);
  });
  const { port } = server.address();
  return {
    port,
    /** Serve `content` (string or bytes) at `path` from now on. */
    mount(path, content) {
      mounts[path] = content;
    },
    /** @internal A fresh path prefix for one run's page. */
    nextRun: () => `/__run${++runs}`,
    url: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}`,
    close: () =>
      new Promise((ok) => {
        for (const s of sockets) s.destroy();
        server.close(() => ok());
      }),
  };
}

// ---- the browser ----------------------------------------------------------------------------------

// The page reports through a binding (no polling: the harness adds no timers to the page).
const PRELUDE = `
(() => {
  let finished = false;
  const report = (payload) => {
    if (finished) return;
    finished = true;
    window.__wasyncioReport(payload);
  };
  window.done = (value) => report({ result: value, errors: [] });
  const fail = window.__wasyncioFail = (what, e) => {
    const err = e instanceof Error ? { name: e.name, message: e.message, stack: e.stack } : { name: "Error", message: String(e) };
    report({ result: undefined, errors: [{ what, ...err }] });
  };
  window.addEventListener("error", (ev) => fail("error", ev.error ?? ev.message));
  window.addEventListener("unhandledrejection", (ev) => fail("unhandledrejection", ev.reason));
})();
`;

function pageHtml(extraHtml, pagePath) {
  const importMap = { imports: { wasyncio: "/dist/index.mjs", "wasyncio/manual": "/dist/manual.mjs" } };
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>wasyncio harness</title>
<script type="importmap">${JSON.stringify(importMap)}</script>
<script>${PRELUDE}</script>
</head><body>${extraHtml ?? ""}
<script type="module" src="${pagePath}" onerror="__wasyncioFail('load', new Error('the page module or one of its imports failed to load (see the logs)'))"></script>
</body></html>`;
}

/** Run a page in headless Chromium; see the top of this file. */
export async function runInChromium({ page, files = {}, html, timeoutMs = 30_000, server: given, expectErrors = false } = {}) {
  if (page === undefined) throw new TypeError("runInChromium: page (the page's module source, or { path }) is required");
  const executablePath = ensureChromium();
  const { chromium } = await import("playwright-core");
  const source = typeof page === "string" ? page : readFileSync(page.path, "utf8");
  const server = given ?? (await startServer({ files }));
  if (given !== undefined && Object.keys(files).length > 0) {
    throw new TypeError("runInChromium: pass files to startServer() when you give your own server");
  }
  // the page and its HTML are served by the server itself (a page playwright fulfils from a
  // route counts as a public address, and Chromium then blocks its requests to 127.0.0.1)
  const run = server.nextRun();
  server.mount(`${run}/page.mjs`, source);
  server.mount(`${run}/page.html`, pageHtml(html, `${run}/page.mjs`));
  const profile = mkdtempSync(join(tmpdir(), "wasyncio-chromium-"));
  const logs = [];
  let context = null;
  let launching = null;
  let timer = null;
  const deadline = new Promise((_, fail) => {
    timer = setTimeout(() => fail(new Error(`runInChromium: the page did not finish within ${timeoutMs} ms; logs so far:\n${logs.join("\n")}`)), timeoutMs);
  });
  const onConsole = (msg) => {
    const type = msg.type();
    logs.push(type === "log" || type === "info" ? msg.text() : `${type}: ${msg.text()}`);
  };
  try {
    const work = (async () => {
      launching = chromium.launchPersistentContext(profile, { executablePath, headless: true, args: CHROMIUM_ARGS });
      context = await launching;
      let report;
      const reported = new Promise((resolve) => (report = resolve));
      await context.exposeBinding("__wasyncioReport", (_source, payload) => report(payload));
      const tab = context.pages()[0] ?? (await context.newPage());
      tab.on("console", onConsole);
      await tab.goto(`${server.url}${run}/page.html`);
      return reported;
    })();
    work.catch(() => {}); // past the deadline, closing the browser rejects it: nobody waits for it then
    const { result, errors } = await Promise.race([work, deadline]);
    if (errors.length > 0 && !expectErrors) {
      const first = errors[0];
      const err = new Error(`the page failed (${first.what}): ${first.name}: ${first.message}\n${first.stack ?? ""}\nlogs:\n${logs.join("\n")}`);
      err.errors = errors;
      err.logs = logs;
      throw err;
    }
    return { logs, result, errors, url: server.url };
  } finally {
    clearTimeout(timer);
    if (context === null && launching !== null) context = await launching.catch(() => null); // timed out while launching
    if (context !== null) {
      let stop = null;
      const limit = new Promise((r) => (stop = setTimeout(r, 10_000)));
      await Promise.race([context.close().catch(() => {}), limit]);
      clearTimeout(stop);
    }
    if (given === undefined) await server.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

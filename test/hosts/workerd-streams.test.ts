// Streams in Cloudflare workerd: openConnection/createConnection through connect() of
// cloudflare:sockets (src/io/workerd.ts), against servers this test runs on 127.0.0.1, and the
// features workerd lacks (NotImplementedError at the call). workerd refuses connect() to
// loopback by default: the worker's globalOutbound is a network service with allow = ["local"]
// (and the test CA in its tlsOptions) — the test without it shows what happens then.
// The fixture is test/hosts/fixtures/workerd-streams.mjs; `npm test` builds dist/ first.

import { readFileSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { createSecureContext, createServer as createTlsServer, TLSSocket } from "node:tls";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// @ts-expect-error: a plain ESM helper without types
import { startWorkerd, wasyncioModules, ROOT } from "./workerd.mjs";

interface Workerd {
  url: string;
  stop(): Promise<void>;
  output(): string;
}

const FIXTURE = "test/hosts/fixtures/workerd-streams.mjs";
const CERTS = join(ROOT as string, "test/io/fixtures");
const cert = readFileSync(join(CERTS, "cert.pem"), "utf8");
const key = readFileSync(join(CERTS, "key.pem"), "utf8");

const servers: Server[] = [];
const sockets = new Set<Socket>();
const ports: Record<string, number> = {};

function listen(name: string, server: Server): Promise<void> {
  servers.push(server);
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  return new Promise((ok, fail) => {
    server.once("error", fail);
    server.listen(0, "127.0.0.1", () => {
      ports[name] = (server.address() as { port: number }).port;
      ok();
    });
  });
}

/** Start the servers the fixture talks to; `closed` is a port nobody listens on. */
async function startServers(): Promise<void> {
  // echo; answers our EOF with "bye" and its own EOF
  await listen("echo", createServer({ allowHalfOpen: true }, (c) => {
    c.on("data", (d) => c.write(d));
    c.on("end", () => c.end("bye"));
    c.on("error", () => {});
  }));
  await listen("tls", createTlsServer({ cert, key, allowHalfOpen: true }, (c) => {
    c.on("data", (d) => c.write(d));
    c.on("end", () => c.end());
    c.on("error", () => {});
  }));
  // a certificate the worker's network service does not trust
  await listen("untrusted", createTlsServer({
    cert: readFileSync(join(CERTS, "other-cert.pem")),
    key: readFileSync(join(CERTS, "other-key.pem")),
  }, (c) => c.end()));
  // plaintext until the first line, then TLS over the same connection
  await listen("starttls", createServer((c) => {
    c.on("error", () => {});
    c.once("data", () => {
      c.write("OK\n");
      const t = new TLSSocket(c, { isServer: true, secureContext: createSecureContext({ cert, key }) });
      t.on("data", (d) => t.write(d));
      t.on("error", () => {});
    });
  }));
  // sends "hi", then resets the connection
  await listen("reset", createServer((c) => {
    c.on("error", () => {});
    c.write("hi");
    setTimeout(() => c.resetAndDestroy(), 100);
  }));
  const probe = createServer();
  await new Promise<void>((ok) => probe.listen(0, "127.0.0.1", () => ok()));
  ports.closed = (probe.address() as { port: number }).port;
  await new Promise((ok) => probe.close(ok));
}

async function stopServers(): Promise<void> {
  for (const s of sockets) s.destroy();
  await Promise.all(servers.map((s) => new Promise((ok) => s.close(ok))));
}

function modules() {
  return [{ name: FIXTURE, path: FIXTURE }, ...wasyncioModules()];
}

async function get(wd: Workerd, program: string, override: Record<string, number> = {}): Promise<string[]> {
  const query = new URLSearchParams(Object.entries({ ...ports, ...override }).map(([k, v]) => [k, String(v)]));
  const res = await fetch(`${wd.url}/${program}?${query}`, { signal: AbortSignal.timeout(15_000) });
  const body = await res.text();
  if (res.status !== 200) throw new Error(`${program}: ${res.status}\n${body}\n--- workerd\n${wd.output()}`);
  return body.trimEnd().split("\n");
}

beforeAll(startServers);
afterAll(stopServers);

describe("workerd with a network service that allows loopback", () => {
  let wd: Workerd;
  beforeAll(async () => {
    wd = await startWorkerd({
      modules: modules(),
      bindings: { CORE_BYTES: { data: join(ROOT as string, "dist/core.wasm") } },
      network: { allow: ["local"], trustedCertificates: [cert] },
    });
  }, 30_000);
  afterAll(async () => {
    await wd?.stop();
  });

  it("echoes over TCP with openConnection: readline, writelines, writeEof, the peer's EOF, close", async () => {
    const out = await get(wd, "echo");
    expect(out).toEqual([
      `peername ["127.0.0.1",${ports.echo}]`,
      "sockname null",
      "socket function",
      'line "hello\\n"',
      'line "abc\\n"',
      "canWriteEof true",
      'rest "bye"',
      "atEof true",
      "open 0",
    ]);
  });

  it("echoes the same through a WorkerdDriver given connect() by the worker", async () => {
    const out = await get(wd, "echoGivenConnect");
    expect(out).toEqual([
      `peername ["127.0.0.1",${ports.echo}]`,
      "sockname null",
      "socket function",
      'line "hello\\n"',
      'line "abc\\n"',
      "canWriteEof true",
      'rest "bye"',
      "atEof true",
      "open 0",
    ]);
  });

  it("moves 1 MiB out and back intact, with drain() between writes", async () => {
    expect(await get(wd, "bulk")).toEqual(["bulk 1048576 same=true", "buffer 0", "open 0"]);
  });

  it("delivers no data while reading is paused, and all of it after resumeReading", async () => {
    expect(await get(wd, "pause")).toEqual([
      "reading false",
      "paused-events 1", // "one", before the pause; "two" came back while paused and waited
      'data "one\\ntwo\\nbye"',
      "then eof | lost null",
      "data-last true",
      "open 0",
    ]);
  });

  it("reports a refused connection as ConnectionRefusedError, saying workerd does not tell why", async () => {
    const [line, message, open] = await get(wd, "refused");
    expect(line).toBe("refused ConnectionRefusedError ConnectionRefusedError=true OSError=true code=ECONNREFUSED");
    expect(message).toContain(`workerd could not connect to 127.0.0.1:${ports.closed}`);
    expect(message).toContain("workerd does not say why");
    expect(open).toBe("open 0");
  });

  it("turns a connection the peer resets into ConnectionResetError at the next read", async () => {
    expect(await get(wd, "reset")).toEqual(["first hi", "reset ConnectionResetError true", "open 0"]);
  });

  it("connects with TLS (ssl: true), trusting the CA of the network service; no peercert in workerd", async () => {
    expect(await get(wd, "tls")).toEqual([
      `peername ["127.0.0.1",${ports.tls}]`,
      "peercert null canWriteEof false",
      'line "secret\\n"',
      "open 0",
    ]);
  });

  it("refuses a certificate the network service does not trust", async () => {
    const [line, message, open] = await get(wd, "tlsUntrusted");
    expect(line).toBe("untrusted ConnectionRefusedError OSError=true");
    expect(message).toContain("with TLS");
    expect(message).toContain("the certificate did not verify");
    expect(open).toBe("open 0");
  });

  it("upgrades a plaintext connection with StreamWriter.startTls (STARTTLS)", async () => {
    expect(await get(wd, "starttls")).toEqual(['plain "OK\\n"', "canWriteEof false", 'tls "over tls\\n"', "open 0"]);
  });

  it("sends bytes written during the TLS handshake over TLS once it is done (loop.startTls)", async () => {
    expect(await get(wd, "starttlsEarlyWrite")).toEqual(["same transport true", 'echoed "early\\nlate\\n"', "open 0"]);
  });

  it("raises NotImplementedError naming workerd at the call for what workerd lacks", async () => {
    const out = await get(wd, "missing");
    const lines = Object.fromEntries(out.slice(0, -1).map((l) => [l.slice(0, l.indexOf(":")), l.slice(l.indexOf(":") + 2)]));
    for (const name of [
      "startServer", "createServer", "startUnixServer", "openUnixConnection", "createSubprocessExec",
      "createSubprocessShell", "createDatagramEndpoint", "addSignalHandler", "toThread", "runInExecutor",
    ]) {
      expect(lines[name], name).toMatch(/^NotImplementedError true .*not available on workerd/);
    }
    expect(lines.startServer).toBe("NotImplementedError true TCP servers are not available on workerd");
    expect(lines.localAddr).toMatch(/^NotImplementedError true binding a local address \(localAddr\) is not available on workerd/);
    expect(lines.verifyOff).toMatch(/^NotImplementedError true turning certificate verification off .* is not available on workerd .*trustedCertificates/);
    expect(lines.otherName).toMatch(/^NotImplementedError true verifying the certificate against another name than the host dialled \(serverHostname 'localhost' for '127.0.0.1'\)/);
    expect(out.at(-1)).toBe("open 0");
  });

  it("refuses initCore(bytes) (workerd compiles no Wasm from bytes) and keeps the core it has", async () => {
    expect(await get(wd, "initBytes")).toEqual([
      "initCore(bytes) CompileError: WebAssembly.compile(): Wasm code generation disallowed by embedder",
      "after still runs",
    ]);
  });
});

describe("workerd with its default outbound (public addresses only)", () => {
  let wd: Workerd;
  beforeAll(async () => {
    wd = await startWorkerd({ modules: modules() });
  }, 30_000);
  afterAll(async () => {
    await wd?.stop();
  });

  it("cannot reach 127.0.0.1: connect() fails as a refused connection", async () => {
    // the echo server is up and listening, but the default "internet" service refuses loopback
    const [line, message, open] = await get(wd, "refused", { closed: ports.echo });
    expect(line).toBe("refused ConnectionRefusedError ConnectionRefusedError=true OSError=true code=ECONNREFUSED");
    expect(message).toContain("the worker's network service does not allow the address");
    expect(open).toBe("open 0");
  });
});

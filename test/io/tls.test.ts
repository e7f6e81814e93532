// TLS: clients that trust a self-signed certificate through `ca`, handshakes that fail with a
// clear SSLCertVerificationError (wrong host name, untrusted certificate), startTls upgrades on
// both ends (CPython's test_streams.test_start_tls), and cases adapted from test_sslproto.py.
// Certificates: test/io/fixtures (cert.pem: CN=localhost, SAN localhost and 127.0.0.1).

import { describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  NotImplementedError,
  OSError,
  SSLCertVerificationError,
  SSLError,
  SslContext,
  TimeoutError,
  ValueError,
  createSslContext,
  getRunningLoop,
  openConnection,
  openUnixConnection,
  sleep,
  startServer,
  startUnixServer,
  type Protocol,
  type StreamReader,
  type StreamWriter,
  type Transport,
} from "../../src/index.ts";
import { CERT, KEY, OTHER_CERT, OTHER_KEY, b, portOf, runIo, t } from "./stream-helpers.ts";

const serverCtx = () => createSslContext({ cert: CERT, key: KEY });
const clientCtx = () => createSslContext({ ca: CERT });

function* echoLine(reader: StreamReader, writer: StreamWriter) {
  writer.write(yield* reader.readline());
  yield* writer.drain();
  writer.close();
  yield* writer.waitClosed();
}

describe("TLS", () => {
  it("test_open_connection with ssl: a client that trusts the server's certificate", async () => {
    const { messages } = await runIo(function* () {
      const server = yield* startServer(echoLine, "127.0.0.1", 0, { ssl: serverCtx() });
      const [reader, writer] = yield* openConnection("127.0.0.1", portOf(server), { ssl: clientCtx() });
      expect(writer.getExtraInfo("sslcontext")).toBeInstanceOf(SslContext);
      const peercert = writer.getExtraInfo("peercert") as { subject: { CN: string }; subjectaltname: string };
      expect(peercert.subject.CN).toBe("localhost");
      expect(peercert.subjectaltname).toContain("IP Address:127.0.0.1");
      expect((writer.getExtraInfo("cipher") as { version: string }).version).toMatch(/^TLSv1\.[23]$/);
      expect(writer.canWriteEof()).toBe(false);
      expect(() => writer.writeEof()).toThrow(NotImplementedError);
      writer.write(b("over tls\n"));
      expect(t(yield* reader.readline())).toBe("over tls\n");
      expect((yield* reader.read()).length).toBe(0);
      writer.close();
      yield* writer.waitClosed();
      server.close();
      yield* server.waitClosed();
    });
    expect(messages).toEqual([]);
  });

  it("a plain options object is accepted as the ssl option, and serverHostname names the host to check", async () => {
    await runIo(function* () {
      const server = yield* startServer(echoLine, "127.0.0.1", 0, { ssl: { cert: CERT, key: KEY } });
      const [reader, writer] = yield* openConnection("127.0.0.1", portOf(server), { ssl: { ca: CERT }, serverHostname: "localhost" });
      writer.write(b("x\n"));
      expect(t(yield* reader.readline())).toBe("x\n");
      writer.close();
      yield* writer.waitClosed();
      server.close();
      yield* server.waitClosed();
    });
  });

  it("a wrong host name is an SSLCertVerificationError naming the host and the reason", async () => {
    const { messages } = await runIo(function* () {
      const server = yield* startServer(echoLine, "127.0.0.1", 0, { ssl: serverCtx() });
      let err: unknown = null;
      try {
        yield* openConnection("127.0.0.1", portOf(server), { ssl: clientCtx(), serverHostname: "wrong.example" });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(SSLCertVerificationError);
      expect(err).toBeInstanceOf(SSLError);
      expect(err).toBeInstanceOf(OSError);
      const e = err as SSLCertVerificationError;
      expect(e.reason).toBe("CERTIFICATE_VERIFY_FAILED");
      expect(e.message).toContain("wrong.example");
      expect(e.message).toMatch(/CERTIFICATE_VERIFY_FAILED/);
      expect(e.verifyMessage).toMatch(/altnames/);
      server.close();
      yield* server.waitClosed();
    });
    // the server's failed handshake is not an error the loop reports (asyncio logs it in debug mode)
    expect(messages).toEqual([]);
  });

  it("an untrusted certificate is an SSLCertVerificationError; with verification off it connects", async () => {
    await runIo(function* () {
      const server = yield* startServer(echoLine, "127.0.0.1", 0, { ssl: createSslContext({ cert: OTHER_CERT, key: OTHER_KEY }) });
      const port = portOf(server);
      let err: unknown = null;
      try {
        yield* openConnection("127.0.0.1", port, { ssl: clientCtx() });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(SSLCertVerificationError);
      expect((err as SSLCertVerificationError).code).toBe("DEPTH_ZERO_SELF_SIGNED_CERT");
      expect((err as Error).message).toContain(`127.0.0.1:${port}`);

      // asyncio's test_utils.dummy_ssl_context(): no verification at all
      const [reader, writer] = yield* openConnection("127.0.0.1", port, { ssl: createSslContext({ verifyMode: "none" }) });
      writer.write(b("trusting\n"));
      expect(t(yield* reader.readline())).toBe("trusting\n");
      writer.close();
      yield* writer.waitClosed();
      server.close();
      yield* server.waitClosed();
    });
  });

  it("ssl: true uses the host's CAs, which do not trust a self-signed certificate", async () => {
    await runIo(function* () {
      const server = yield* startServer(echoLine, "127.0.0.1", 0, { ssl: serverCtx() });
      let err: unknown = null;
      try {
        yield* openConnection("127.0.0.1", portOf(server), { ssl: true });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(SSLCertVerificationError);
      server.close();
      yield* server.waitClosed();
    });
  });

  it("a plain client against a TLS server, a TLS client against a plain server: clean errors, nothing open", async () => {
    const { messages } = await runIo(function* () {
      const tlsServer = yield* startServer(echoLine, "127.0.0.1", 0, { ssl: serverCtx() });
      // a plain server that greets first: the TLS client reads garbage instead of a ServerHello
      const chatty = yield* startServer(function* (reader, writer) {
        writer.write(b("220 plain text here\r\n"));
        yield* reader.read();
        writer.close();
      }, "127.0.0.1", 0);
      // a plain server that never answers: the handshake times out
      const silent = yield* startServer(function* (reader, writer) {
        yield* reader.read();
        writer.close();
      }, "127.0.0.1", 0);

      const [plainReader, plainWriter] = yield* openConnection("127.0.0.1", portOf(tlsServer));
      plainWriter.write(b("GET / HTTP/1.0\r\n\r\n"));
      // the TLS server drops a client that does not speak TLS
      expect((yield* plainReader.read()).length).toBe(0);

      let err: unknown = null;
      try {
        yield* openConnection("127.0.0.1", portOf(chatty), { ssl: clientCtx() });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(SSLError);
      expect((err as SSLError).message).toContain(`127.0.0.1:${portOf(chatty)}`);

      err = null;
      try {
        yield* openConnection("127.0.0.1", portOf(silent), { ssl: clientCtx(), sslHandshakeTimeout: 0.2 });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(TimeoutError);
      expect((err as Error).message).toMatch(/SSL handshake is taking longer than 0.2 seconds/);

      plainWriter.close();
      yield* plainWriter.waitClosed();
      for (const s of [tlsServer, chatty, silent]) {
        s.close();
        s.abortClients();
        yield* s.waitClosed();
      }
    });
    expect(messages).toEqual([]);
  });

  it("test_start_tls: both ends upgrade a plain connection", async () => {
    const { messages } = await runIo(function* () {
      const server = yield* startServer(function* (reader, writer) {
        const data1 = yield* reader.readline();
        writer.write(data1);
        yield* writer.drain();
        expect(writer.getExtraInfo("sslcontext")).toBeNull();
        yield* writer.startTls(serverCtx());
        expect(writer.getExtraInfo("sslcontext")).not.toBeNull();
        const data2 = yield* reader.readline();
        writer.write(data2);
        yield* writer.drain();
        writer.close();
        yield* writer.waitClosed();
      }, "127.0.0.1", 0);
      const [reader, writer] = yield* openConnection("127.0.0.1", portOf(server));
      writer.write(b("hello world 1!\n"));
      yield* writer.drain();
      const msgback1 = yield* reader.readline();
      expect(writer.getExtraInfo("sslcontext")).toBeNull();
      yield* writer.startTls(clientCtx(), { serverHostname: "localhost" });
      expect(writer.getExtraInfo("sslcontext")).not.toBeNull();
      expect((writer.getExtraInfo("peercert") as { subject: { CN: string } }).subject.CN).toBe("localhost");
      writer.write(b("hello world 2!\n"));
      yield* writer.drain();
      const msgback2 = yield* reader.readline();
      writer.close();
      yield* writer.waitClosed();
      server.close();
      yield* server.waitClosed();
      expect([t(msgback1), t(msgback2)]).toEqual(["hello world 1!\n", "hello world 2!\n"]);
    });
    expect(messages).toEqual([]);
  });

  it("startTls with a name the certificate does not carry fails on the client with SSLCertVerificationError", async () => {
    await runIo(function* () {
      const server = yield* startServer(function* (reader, writer) {
        yield* reader.readline();
        writer.write(b("ok\n"));
        try {
          yield* writer.startTls(serverCtx());
        } catch {
          // the client gave up on the handshake
        }
        writer.close();
      }, "127.0.0.1", 0);
      const [reader, writer] = yield* openConnection("127.0.0.1", portOf(server));
      writer.write(b("STARTTLS\n"));
      yield* reader.readline();
      let err: unknown = null;
      try {
        yield* writer.startTls(clientCtx(), { serverHostname: "wrong.example" });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(SSLCertVerificationError);
      expect((err as Error).message).toContain("wrong.example");
      // the failed upgrade ended the connection
      while (!writer.isClosing()) yield* sleep(0.01);
      server.close();
      server.abortClients();
      yield* server.waitClosed();
      try {
        yield* writer.waitClosed();
      } catch {
        // closed with the handshake's error
      }
    });
  });

  it("loop.startTls on a low-level transport (test_sslproto's start_tls client and server)", async () => {
    const { messages } = await runIo(function* () {
      const loop = getRunningLoop();
      const got: string[] = [];
      let serverTransport: Transport | null = null;
      const upgraded = loop.createFuture<Transport>();
      class ServerProto implements Protocol {
        transport!: Transport;
        connectionMade(tr: Transport) {
          this.transport = serverTransport = tr;
        }
        dataReceived(data: Uint8Array) {
          got.push(t(data));
          if (t(data) === "upgrade") {
            this.transport.write(b("go"));
            loop.createTask(
              (function* (self: ServerProto) {
                upgraded.setResult(yield* loop.startTls(self.transport, self, serverCtx(), { serverSide: true }));
              })(this),
            );
          } else {
            this.transport.write(data); // echo, encrypted once upgraded
          }
        }
      }
      const server = yield* loop.createServer(() => new ServerProto(), "127.0.0.1", 0);
      const clientGot: string[] = [];
      const go = loop.createFuture<void>();
      const echoed = loop.createFuture<void>();
      const client: Protocol = {
        dataReceived(data) {
          clientGot.push(t(data));
          if (t(data) === "go") go.setResult(undefined);
          else if (!echoed.done()) echoed.setResult(undefined);
        },
      };
      const [tr] = yield* loop.createConnection(() => client, "127.0.0.1", portOf(server));
      tr.write(b("upgrade"));
      yield* go;
      const secure = yield* loop.startTls(tr, client, clientCtx(), { serverHostname: "localhost" });
      expect(secure.getExtraInfo("sslcontext")).toBeInstanceOf(SslContext);
      secure.write(b("secret"));
      yield* echoed;
      expect((yield* upgraded).getExtraInfo("sslcontext")).toBeInstanceOf(SslContext);
      expect(clientGot).toEqual(["go", "secret"]);
      expect(got).toEqual(["upgrade", "secret"]);
      secure.close();
      while (serverTransport !== null && !(serverTransport as Transport).isClosing()) yield* sleep(0.005);
      server.close();
      yield* server.waitClosed();
    });
    expect(messages).toEqual([]);
  });

  it("test_open_unix_connection_no_loop_ssl: TLS over a Unix socket (serverHostname required)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "wasyncio-"));
    try {
      const path = join(dir, "tls.sock");
      await runIo(function* () {
        const server = yield* startUnixServer(echoLine, path, { ssl: serverCtx() });
        expect(() => openUnixConnection(path, { ssl: clientCtx() })).toThrow(/serverHostname/);
        const [reader, writer] = yield* openUnixConnection(path, { ssl: clientCtx(), serverHostname: "localhost" });
        writer.write(b("unix tls\n"));
        expect(t(yield* reader.readline())).toBe("unix tls\n");
        writer.close();
        yield* writer.waitClosed();
        server.close();
        yield* server.waitClosed();
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("client certificates: a server with verifyMode required sees the client's certificate, and refuses a client without one", async () => {
    await runIo(function* () {
      const seen: unknown[] = [];
      const server = yield* startServer(function* (reader, writer) {
        seen.push(writer.getExtraInfo("peercert"));
        yield* echoLine(reader, writer);
      }, "127.0.0.1", 0, { ssl: createSslContext({ cert: CERT, key: KEY, ca: CERT, verifyMode: "required" }) });
      const [reader, writer] = yield* openConnection("127.0.0.1", portOf(server), { ssl: createSslContext({ ca: CERT, cert: CERT, key: KEY }) });
      writer.write(b("mutual\n"));
      expect(t(yield* reader.readline())).toBe("mutual\n");
      writer.close();
      yield* writer.waitClosed();
      expect((seen[0] as { subject: { O: string } }).subject.O).toBe("wasyncio test");

      // no client certificate: the server ends the handshake; the client sees an error or EOF
      let failed = false;
      try {
        const [r2, w2] = yield* openConnection("127.0.0.1", portOf(server), { ssl: clientCtx() });
        w2.write(b("anyone?\n"));
        failed = (yield* r2.readline()).length === 0;
        w2.close();
        yield* w2.waitClosed();
      } catch (e) {
        failed = e instanceof OSError;
      }
      expect(failed).toBe(true);
      expect(seen.length).toBe(1);
      server.close();
      yield* server.waitClosed();
    });
  });

  it("bad TLS arguments raise at the call", async () => {
    await runIo(function* () {
      expect(() => startServer(echoLine, "127.0.0.1", 0, { ssl: true })).toThrow(/needs a certificate/);
      expect(() => startServer(echoLine, "127.0.0.1", 0, { ssl: clientCtx() })).toThrow(/no cert and key/);
      expect(() => openConnection("127.0.0.1", 1, { ssl: 5 as never })).toThrow(TypeError);
      expect(() => openConnection("127.0.0.1", 1, { ssl: true, sslHandshakeTimeout: -1 })).toThrow(ValueError);
      expect(() => openConnection("127.0.0.1", 1, { sslHandshakeTimeout: 1 })).toThrow(/only meaningful with ssl/);
      expect(() => createSslContext({ cert: CERT })).toThrow(/key is missing/);
      expect(() => createSslContext({ ca: 42 as never })).toThrow(TypeError);
      expect(() => createSslContext({ verifyMode: "sometimes" as never })).toThrow(ValueError);
      expect(() => createSslContext({ verifyMode: "none", checkHostname: true })).toThrow(ValueError);
      const ctx = createSslContext();
      expect(ctx.verifyMode).toBe("required");
      expect(ctx.checkHostname).toBe(true);
      expect(() => {
        ctx.verifyMode = "none";
      }).toThrow(/checkHostname/);
      ctx.checkHostname = false;
      ctx.verifyMode = "none";
      expect(createSslContext({ rejectUnauthorized: false }).verifyMode).toBe("none");
    });
  });
});

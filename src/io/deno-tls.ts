// TLS for the Deno driver: the loop's TLS settings as Deno's options, Deno's TLS failures as the
// codes the loop turns into SSLError / SSLCertVerificationError, and a tunnel for the TLS that
// Deno cannot start on a connection directly.
//
// Why a tunnel: `Deno.startTls` upgrades only a TCP connection with no read in flight (a pending
// read makes it fail with "TCP stream is currently in use", and a read cannot be cancelled),
// only as a client, and never a Unix socket. A stream resource always has a read in flight once
// the loop reads from it. So TLS over an existing connection runs on a fresh loopback pair:
// Deno's own TLS client (`startTls` on a new connection) or server (`listenTls`) talks to a
// relay connection on 127.0.0.1, and the relay copies bytes to and from the real connection
// (whose pending read then simply feeds the relay). It needs net permission for 127.0.0.1.

import { NotImplementedError } from "../errors.js";
import type { TlsOptions, WireError } from "./driver.js";
import { denoWire, isClosedResource } from "./deno-host.js";
import type { DenoConn, DenoListener, DenoNamespace } from "./deno-host.js";
import type { ByteIO } from "./deno-stream.js";

// ---- options --------------------------------------------------------------------------------------

/** A client's TLS settings, in Deno's terms. */
export interface ClientTls {
  /** The name the certificate must carry (SNI too): serverHostname, else the host dialled. */
  name: string;
  caCerts?: string[];
  cert?: string;
  key?: string;
  alpnProtocols?: string[];
  unsafelyDisableHostnameVerification: boolean;
  /** The user asked for no verification (Deno verifies unless run with --unsafely-ignore-certificate-errors). */
  noVerify: boolean;
}

/** A server's TLS settings, in Deno's terms. */
export interface ServerTls {
  cert: string;
  key: string;
  alpnProtocols?: string[];
  /** Abort a handshake after this many ms (the loop's sslHandshakeTimeout), or null. */
  handshakeTimeoutMs: number | null;
}

const decoder = new TextDecoder();

/** PEM text from a Pem or a list of them. */
function pemList(value: unknown): string[] {
  const list = Array.isArray(value) ? value : [value];
  return list.map((v) => (typeof v === "string" ? v : v instanceof Uint8Array ? decoder.decode(v) : String(v)));
}

function unsupported(what: string): never {
  throw new NotImplementedError(`${what} is not available on deno`);
}

/** Options Deno has no equivalent for (the rest of Node's options are ignored, as elsewhere). */
function checkCommon(o: Record<string, unknown>): void {
  if (o.passphrase != null) unsupported("an encrypted private key (passphrase): decrypt the key first (openssl pkey -in key.pem -out plain.pem);");
  if (o.pfx != null) unsupported("a PKCS#12 bundle (pfx): pass cert and key as PEM;");
  // rustls speaks TLS 1.2 and 1.3: a narrower range cannot be asked for
  if (o.minVersion != null && o.minVersion !== "TLSv1" && o.minVersion !== "TLSv1.1" && o.minVersion !== "TLSv1.2") unsupported(`minimumVersion ${String(o.minVersion)}`);
  if (o.maxVersion != null && o.maxVersion !== "TLSv1.3") unsupported(`maximumVersion ${String(o.maxVersion)}`);
}

/** A client's settings from the loop's (throws NotImplementedError for what Deno cannot do). */
export function clientTls(tls: TlsOptions, dialHost: string | null): ClientTls {
  const o = tls.options ?? {};
  checkCommon(o);
  const out: ClientTls = {
    name: tls.serverHostname || dialHost || "localhost",
    unsafelyDisableHostnameVerification: o.checkHostname === false || tls.serverHostname === "",
    noVerify: o.rejectUnauthorized === false,
  };
  if (o.ca != null) out.caCerts = pemList(o.ca);
  if (o.cert != null && o.key != null) {
    out.cert = pemList(o.cert).join("\n");
    out.key = pemList(o.key).join("\n");
  }
  if (Array.isArray(o.ALPNProtocols)) out.alpnProtocols = o.ALPNProtocols as string[];
  return out;
}

/** A server's settings from the loop's. */
export function serverTls(tls: TlsOptions): ServerTls {
  const o = tls.options ?? {};
  checkCommon(o);
  if (o.requestCert === true) unsupported("asking clients for a certificate (a server SslContext with verifyMode \"optional\" or \"required\")");
  if (o.cert == null || o.key == null) throw new NotImplementedError("a TLS server on deno needs cert and key as PEM");
  const out: ServerTls = {
    cert: pemList(o.cert).join("\n"),
    key: pemList(o.key).join("\n"),
    handshakeTimeoutMs: typeof o.handshakeTimeout === "number" ? o.handshakeTimeout : null,
  };
  if (Array.isArray(o.ALPNProtocols)) out.alpnProtocols = o.ALPNProtocols as string[];
  return out;
}

/** `Deno.connectTls` / `Deno.startTls` options for a client. */
export function denoClientOptions(c: ClientTls): Record<string, unknown> {
  const o: Record<string, unknown> = { hostname: c.name };
  if (c.caCerts !== undefined) o.caCerts = c.caCerts;
  if (c.alpnProtocols !== undefined) o.alpnProtocols = c.alpnProtocols;
  if (c.unsafelyDisableHostnameVerification) o.unsafelyDisableHostnameVerification = true;
  return o;
}

// ---- errors -----------------------------------------------------------------------------------------

/** rustls' certificate errors, as OpenSSL's verify results (the loop's SSLCertVerificationError codes). */
const CERT_ERRORS: [RegExp, string][] = [
  [/UnknownIssuer/, "UNABLE_TO_VERIFY_LEAF_SIGNATURE"],
  [/NotValidForName|not valid for name/, "ERR_TLS_CERT_ALTNAME_INVALID"],
  [/Expired/, "CERT_HAS_EXPIRED"],
  [/NotValidYet/, "CERT_NOT_YET_VALID"],
  [/Revoked/, "CERT_REVOKED"],
  [/BadSignature/, "CERT_SIGNATURE_FAILURE"],
];

/** TLS alerts as OpenSSL names them (Python's `SSLError.reason`). */
const ALERTS: Record<string, string> = {
  BadCertificate: "SSLV3_ALERT_BAD_CERTIFICATE",
  HandshakeFailure: "SSLV3_ALERT_HANDSHAKE_FAILURE",
  CertificateExpired: "SSLV3_ALERT_CERTIFICATE_EXPIRED",
  CertificateUnknown: "SSLV3_ALERT_CERTIFICATE_UNKNOWN",
  UnknownCA: "TLSV1_ALERT_UNKNOWN_CA",
  ProtocolVersion: "TLSV1_ALERT_PROTOCOL_VERSION",
  DecryptError: "TLSV1_ALERT_DECRYPT_ERROR",
  InternalError: "TLSV1_ALERT_INTERNAL_ERROR",
  NoApplicationProtocol: "TLSV1_ALERT_NO_APPLICATION_PROTOCOL",
  UnrecognisedName: "TLSV1_UNRECOGNIZED_NAME",
};

/**
 * A TLS connection's error as data: certificate failures get OpenSSL's verify codes, alerts and
 * protocol errors `ERR_SSL_*` codes (the loop makes SSLCertVerificationError and SSLError of
 * them); OS errors keep theirs. `noVerify`: the user asked for no verification, which Deno can
 * only do for the whole program: the message says how.
 */
export function tlsWire(err: unknown, noVerify = false): WireError {
  const wire = denoWire(err, "net");
  const m = wire.message;
  if (wire.code !== undefined && wire.code.startsWith("E")) return wire; // ECONNRESET, EACCES…
  let code: string | undefined;
  if (/invalid peer certificate/i.test(m)) {
    code = "CERT_REJECTED";
    for (const [re, c] of CERT_ERRORS) {
      if (re.test(m)) {
        code = c;
        break;
      }
    }
    if (noVerify) {
      wire.message = `${m} (verification cannot be turned off for one connection on deno: trust the certificate with createSslContext({ ca }), or run deno with --unsafely-ignore-certificate-errors)`;
    }
  } else {
    const alert = /received fatal alert: (\w+)/.exec(m);
    if (alert !== null) code = `ERR_SSL_${ALERTS[alert[1]] ?? `TLSV1_ALERT_${alert[1].replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase()}`}`;
    else if (/corrupt message|InvalidContentType|invalid content type|wrong version/i.test(m)) code = "ERR_SSL_WRONG_VERSION_NUMBER";
    else if (/handshake eof|unexpected eof|close_notify/i.test(m) || wire.name === "UnexpectedEof") code = "ECONNRESET";
    else if (wire.name === "InvalidData") code = "ERR_SSL_PROTOCOL_ERROR";
  }
  if (code !== undefined) wire.code = code;
  return wire;
}

// ---- the peer's certificate ----------------------------------------------------------------------------

/**
 * The peer's certificate as plain data, as Node's `getPeerCertificate()` (Deno keeps it behind
 * its internal `getPeerCertificate` symbol; null where that is missing).
 */
export function peerCert(deno: DenoNamespace, conn: DenoConn): Record<string, unknown> | null {
  try {
    const internal = deno.internal !== undefined ? (deno[deno.internal] as { getPeerCertificate?: symbol } | undefined) : undefined;
    const sym = internal?.getPeerCertificate;
    if (typeof sym !== "symbol") return null;
    const get = (conn as unknown as Record<symbol, unknown>)[sym];
    if (typeof get !== "function") return null;
    const cert = get.call(conn, false) as Record<string, unknown> | null;
    if (cert == null) return null;
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(cert)) {
      if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") out[key] = value;
      else if (value !== null && typeof value === "object" && !(value instanceof Uint8Array)) out[key] = { ...(value as object) };
    }
    return out;
  } catch {
    return null;
  }
}

// ---- the tunnel ------------------------------------------------------------------------------------------

/** What the tunnel is given of the raw connection it encrypts. */
export interface RawSide {
  io: ByteIO;
  /** Resolves once the writes queued on the raw connection before the upgrade are written. */
  rawWritten: Promise<void>;
  /** Bytes read from the raw connection before the tunnel reads it itself (in order; null: EOF). */
  early: (Uint8Array | null)[];
  /** The chunk of a read that was in flight when the upgrade began, or null when none was. */
  stale: Promise<Uint8Array | null> | null;
}

/** Reads the relay side in chunks this big. */
const RELAY_READ = 64 * 1024;

/**
 * TLS over an existing connection, through a loopback relay (see the top of this file).
 * `open` resolves to the TLS connection once the handshake is done.
 */
export class TlsTunnel {
  private listener: DenoListener | null = null;
  private relay: DenoConn | null = null;
  private secure: DenoConn | null = null;
  private closed = false;
  private relayDone = false;
  private rawDone = false;

  constructor(
    private readonly deno: DenoNamespace,
    private readonly raw: RawSide,
    /** The raw connection failed (reset…): the stream on top must fail with it. */
    private readonly onRawError: (err: unknown) => void,
  ) {}

  /** Client side: Deno's TLS client talks through the relay. */
  async openClient(c: ClientTls): Promise<DenoConn> {
    const listener = this.loopbackListener(() => this.deno.listen({ hostname: "127.0.0.1", port: 0 }));
    const port = listener.addr.port!;
    const inner = await this.deno.connect({ hostname: "127.0.0.1", port });
    if (this.closed) {
      inner.close();
      throw new DOMException("closed", "AbortError");
    }
    this.relay = await this.acceptOwn(listener, inner.localAddr.port!);
    this.startRelay();
    let secure: DenoConn;
    try {
      secure = await this.deno.startTls(inner, denoClientOptions(c));
    } catch (err) {
      inner.close();
      throw err;
    }
    this.secure = secure;
    await secure.handshake!();
    return secure;
  }

  /** Server side: Deno's TLS server (listenTls on 127.0.0.1) accepts the relay's connection. */
  async openServer(s: ServerTls): Promise<DenoConn> {
    const options: Record<string, unknown> = { hostname: "127.0.0.1", port: 0, cert: s.cert, key: s.key };
    if (s.alpnProtocols !== undefined) options.alpnProtocols = s.alpnProtocols;
    const listener = this.loopbackListener(() => this.deno.listenTls(options));
    this.relay = await this.deno.connect({ hostname: "127.0.0.1", port: listener.addr.port! });
    if (this.closed) throw new DOMException("closed", "AbortError");
    const secure = await this.acceptOwn(listener, this.relay.localAddr.port!);
    this.secure = secure;
    this.startRelay();
    await secure.handshake!();
    return secure;
  }

  private loopbackListener(make: () => DenoListener): DenoListener {
    try {
      this.listener = make();
    } catch (err) {
      if (err instanceof Error && (err.name === "NotCapable" || err.name === "PermissionDenied")) {
        err.message = `TLS over an existing connection on deno runs through a 127.0.0.1 relay: run deno with --allow-net=127.0.0.1 too (${err.message})`;
      }
      throw err;
    }
    return this.listener;
  }

  /** Accept the connection from our own port (another local process could race us to it). */
  private async acceptOwn(listener: DenoListener, port: number): Promise<DenoConn> {
    for (;;) {
      const conn = await listener.accept();
      if (conn.remoteAddr.port === port) {
        listener.close();
        this.listener = null;
        return conn;
      }
      conn.close();
    }
  }

  private startRelay(): void {
    void this.rawToRelay();
    void this.relayToRaw();
  }

  /** Bytes from the peer (raw) into Deno's TLS (through the relay). */
  private async rawToRelay(): Promise<void> {
    const relay = this.relay!;
    try {
      for (const chunk of this.raw.early) if (!(await this.toRelay(relay, chunk))) return;
      if (this.raw.stale !== null && !(await this.toRelay(relay, await this.raw.stale))) return;
      for (;;) {
        let chunk: Uint8Array | null;
        try {
          chunk = await this.raw.io.read();
        } catch (err) {
          if (!this.closed && !isClosedResource(err)) this.onRawError(err);
          return;
        }
        if (!(await this.toRelay(relay, chunk))) return;
      }
    } catch {
      // the relay closed under us: the TLS side sees it and ends the stream
    }
  }

  private async toRelay(relay: DenoConn, chunk: Uint8Array | null): Promise<boolean> {
    if (this.closed) return false;
    if (chunk === null) {
      this.rawDone = true;
      await relay.closeWrite().catch(() => undefined);
      this.maybeRelease();
      return false;
    }
    let at = 0;
    while (at < chunk.length) at += await relay.write(at === 0 ? chunk : chunk.subarray(at));
    return true;
  }

  /** Bytes from Deno's TLS (through the relay) to the peer (raw), after the plaintext written before. */
  private async relayToRaw(): Promise<void> {
    const relay = this.relay!;
    await this.raw.rawWritten;
    const buf = new Uint8Array(RELAY_READ);
    for (;;) {
      let n: number | null;
      try {
        n = await relay.read(buf);
      } catch {
        n = null;
      }
      if (this.closed) return;
      if (n === null) {
        this.relayDone = true;
        await this.raw.io.closeWrite().catch(() => undefined);
        this.maybeRelease();
        return;
      }
      try {
        await this.raw.io.write(buf.slice(0, n));
      } catch (err) {
        if (!this.closed && !isClosedResource(err)) this.onRawError(err);
        return;
      }
    }
  }

  /** Both directions ended: let the raw connection go. */
  private maybeRelease(): void {
    if (this.relayDone && this.rawDone) this.close(false);
  }

  /**
   * The TLS stream closed. Gracefully: the relay still carries its last bytes (close_notify)
   * to the peer, then everything goes; otherwise at once.
   */
  close(graceful: boolean): void {
    if (this.closed) return;
    if (graceful && !this.relayDone && this.relay !== null) {
      // the TLS connection was closed: the relay reads EOF soon, forwards it, and comes back here
      this.rawDone = true;
      return;
    }
    this.closed = true;
    for (const c of [this.listener, this.relay, this.secure]) {
      try {
        c?.close();
      } catch {
        // closed already
      }
    }
    this.raw.io.close();
  }
}

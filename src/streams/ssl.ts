// TLS settings and TLS errors, as an asyncio user knows them from Python's `ssl` module:
// an `SslContext` (what `ssl.create_default_context()` returns) that the `ssl` option of
// openConnection/startServer/createConnection/createServer and `startTls` take, and
// `SSLError` / `SSLCertVerificationError` for handshakes that fail.
//
// Certificates and keys are PEM text (or bytes), not file names: the same context works on
// every host, and a program reads its files the way its host does (`fs.readFileSync`).

import { OSError, ValueError, describe, errorFromWire } from "../errors.js";
import type { WireError } from "../io/driver.js";

/** PEM text, or its bytes. */
export type Pem = string | Uint8Array;

/**
 * Whether the peer must present a certificate (Python's `ssl.CERT_NONE`, `CERT_OPTIONAL`,
 * `CERT_REQUIRED`). Clients default to `"required"`, servers to `"none"`.
 */
export type VerifyMode = "none" | "optional" | "required";

/** `createSslContext`'s options. Every field is optional. */
export interface SslContextOptions {
  /** Trusted CA certificates (PEM). Absent: the host's default CA store (Node's bundled roots). */
  ca?: Pem | Pem[];
  /** This side's certificate chain (PEM): required for a server. */
  cert?: Pem | Pem[];
  /** The private key of `cert` (PEM). */
  key?: Pem | Pem[];
  /** The key's passphrase. */
  passphrase?: string;
  /** Whether the peer must present a certificate (see `VerifyMode`). */
  verifyMode?: VerifyMode;
  /**
   * Clients: check that the server's certificate names the host (or `serverHostname`).
   * Default true unless `verifyMode` is `"none"` (Python's `check_hostname`).
   */
  checkHostname?: boolean;
  /**
   * Node's spelling: `false` turns verification off (`verifyMode: "none"`, `checkHostname:
   * false`), `true` is the default.
   */
  rejectUnauthorized?: boolean;
  /** ALPN protocols to offer, most preferred first (`["h2", "http/1.1"]`). */
  alpnProtocols?: string[];
  /** Lowest TLS version accepted (`"TLSv1.2"` …). */
  minimumVersion?: "TLSv1" | "TLSv1.1" | "TLSv1.2" | "TLSv1.3";
  /** Highest TLS version accepted. */
  maximumVersion?: "TLSv1" | "TLSv1.1" | "TLSv1.2" | "TLSv1.3";
  /** Host-specific options passed through unchanged (Node: `tls.connect`/`tls.createServer` options). */
  hostOptions?: Record<string, unknown>;
}

const VERIFY_MODES: readonly VerifyMode[] = ["none", "optional", "required"];
const VERSIONS = ["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"];

function checkPem(value: unknown, where: string, name: string): void {
  const one = (v: unknown) => typeof v === "string" || v instanceof Uint8Array;
  if (value === undefined) return;
  if (one(value) || (Array.isArray(value) && value.length > 0 && value.every(one))) return;
  throw new TypeError(`${where}: ${name} must be PEM text or bytes (or a non-empty array of them), got ${describe(value)}`);
}

/**
 * TLS settings for connections and servers: Python's `ssl.SSLContext`. Make one with
 * `createSslContext`; `verifyMode` and `checkHostname` can be changed afterwards, as in Python.
 *
 * @example
 * const ctx = createSslContext({ ca: fs.readFileSync("ca.pem", "utf8") });
 * const [reader, writer] = yield* openConnection("example.com", 443, { ssl: ctx });
 */
export class SslContext {
  readonly ca: Pem | Pem[] | null;
  readonly cert: Pem | Pem[] | null;
  readonly key: Pem | Pem[] | null;
  readonly passphrase: string | null;
  readonly alpnProtocols: string[] | null;
  readonly minimumVersion: string | null;
  readonly maximumVersion: string | null;
  readonly hostOptions: Readonly<Record<string, unknown>>;
  private _verifyMode: VerifyMode | null;
  private _checkHostname: boolean | null;

  constructor(options: SslContextOptions = {}) {
    const where = "createSslContext(options)";
    if (options === null || typeof options !== "object") {
      throw new TypeError(`${where}: options must be an object, got ${describe(options)}`);
    }
    checkPem(options.ca, where, "ca");
    checkPem(options.cert, where, "cert");
    checkPem(options.key, where, "key");
    if (options.passphrase !== undefined && typeof options.passphrase !== "string") {
      throw new TypeError(`${where}: passphrase must be a string, got ${describe(options.passphrase)}`);
    }
    if (options.key !== undefined && options.cert === undefined) {
      throw new ValueError(`${where}: a key needs its certificate: cert is missing`);
    }
    if (options.cert !== undefined && options.key === undefined && options.hostOptions?.pfx === undefined) {
      throw new ValueError(`${where}: a certificate needs its private key: key is missing`);
    }
    let verifyMode: VerifyMode | null = null;
    let checkHostname: boolean | null = null;
    if (options.rejectUnauthorized !== undefined) {
      if (typeof options.rejectUnauthorized !== "boolean") {
        throw new TypeError(`${where}: rejectUnauthorized must be a boolean, got ${describe(options.rejectUnauthorized)}`);
      }
      if (!options.rejectUnauthorized) {
        verifyMode = "none";
        checkHostname = false;
      }
    }
    if (options.verifyMode !== undefined) {
      if (!VERIFY_MODES.includes(options.verifyMode)) {
        throw new ValueError(`${where}: verifyMode must be "none", "optional" or "required", got ${describe(options.verifyMode)}`);
      }
      verifyMode = options.verifyMode;
    }
    if (options.checkHostname !== undefined) {
      if (typeof options.checkHostname !== "boolean") {
        throw new TypeError(`${where}: checkHostname must be a boolean, got ${describe(options.checkHostname)}`);
      }
      checkHostname = options.checkHostname;
    }
    if (verifyMode === "none") {
      if (checkHostname === true) {
        throw new ValueError(`${where}: checkHostname needs verification: it cannot be true with verifyMode "none"`);
      }
      checkHostname = false;
    }
    if (options.alpnProtocols !== undefined && (!Array.isArray(options.alpnProtocols) || !options.alpnProtocols.every((p) => typeof p === "string"))) {
      throw new TypeError(`${where}: alpnProtocols must be an array of strings, got ${describe(options.alpnProtocols)}`);
    }
    for (const key of ["minimumVersion", "maximumVersion"] as const) {
      const v = options[key];
      if (v !== undefined && !VERSIONS.includes(v)) {
        throw new ValueError(`${where}: ${key} must be one of ${VERSIONS.join(", ")}, got ${describe(v)}`);
      }
    }
    if (options.hostOptions !== undefined && (options.hostOptions === null || typeof options.hostOptions !== "object")) {
      throw new TypeError(`${where}: hostOptions must be an object, got ${describe(options.hostOptions)}`);
    }
    this.ca = options.ca ?? null;
    this.cert = options.cert ?? null;
    this.key = options.key ?? null;
    this.passphrase = options.passphrase ?? null;
    this.alpnProtocols = options.alpnProtocols ? [...options.alpnProtocols] : null;
    this.minimumVersion = options.minimumVersion ?? null;
    this.maximumVersion = options.maximumVersion ?? null;
    this.hostOptions = { ...(options.hostOptions ?? {}) };
    this._verifyMode = verifyMode;
    this._checkHostname = checkHostname;
  }

  /** The verify mode for a client (`"required"` unless set). */
  get verifyMode(): VerifyMode {
    return this._verifyMode ?? "required";
  }

  set verifyMode(mode: VerifyMode) {
    if (!VERIFY_MODES.includes(mode)) {
      throw new ValueError(`SslContext.verifyMode must be "none", "optional" or "required", got ${describe(mode)}`);
    }
    if (mode === "none" && this.checkHostname) {
      throw new ValueError("Cannot set verifyMode to \"none\" when checkHostname is enabled.");
    }
    this._verifyMode = mode;
  }

  /** Whether a client checks the server's name (true unless set, or verification is off). */
  get checkHostname(): boolean {
    return this._checkHostname ?? this._verifyMode !== "none";
  }

  set checkHostname(value: boolean) {
    if (typeof value !== "boolean") throw new TypeError(`SslContext.checkHostname must be a boolean, got ${describe(value)}`);
    if (value && this._verifyMode === "none") this._verifyMode = "required"; // as Python does
    this._checkHostname = value;
  }

  /** Whether this context can serve: it has a certificate and key. */
  get canServe(): boolean {
    return (this.cert !== null && this.key !== null) || this.hostOptions.pfx !== undefined;
  }

  /** @internal The host options for one side of a connection (plain data for the driver). */
  _hostOptions(serverSide: boolean): Record<string, unknown> {
    const o: Record<string, unknown> = {};
    if (this.ca !== null) o.ca = this.ca;
    if (this.cert !== null) o.cert = this.cert;
    if (this.key !== null) o.key = this.key;
    if (this.passphrase !== null) o.passphrase = this.passphrase;
    if (this.alpnProtocols !== null) o.ALPNProtocols = this.alpnProtocols;
    if (this.minimumVersion !== null) o.minVersion = this.minimumVersion;
    if (this.maximumVersion !== null) o.maxVersion = this.maximumVersion;
    if (serverSide) {
      const mode = this._verifyMode ?? "none";
      o.requestCert = mode !== "none";
      o.rejectUnauthorized = mode === "required";
    } else {
      o.rejectUnauthorized = this.verifyMode !== "none";
      if (!this.checkHostname) o.checkHostname = false;
    }
    return { ...o, ...this.hostOptions };
  }

  toString(): string {
    return `<SslContext verifyMode=${this.verifyMode} checkHostname=${this.checkHostname}${this.canServe ? " with certificate" : ""}>`;
  }
}

/**
 * A new `SslContext`: Python's `ssl.create_default_context()` (verification on, system CAs)
 * plus `load_verify_locations(cadata=ca)` and `load_cert_chain(cert, key)` in one call.
 *
 * @example
 * // a client that trusts one self-signed certificate
 * const client = createSslContext({ ca: certPem });
 * // a server
 * const server = createSslContext({ cert: certPem, key: keyPem });
 */
export function createSslContext(options: SslContextOptions = {}): SslContext {
  return new SslContext(options);
}

/** What the `ssl` option accepts: `true` (the default client context), a context, or its options. */
export type SslOption = boolean | SslContext | SslContextOptions | null | undefined;

/** @internal The `ssl` option as a context (or null for plain TCP), checked at the call. */
export function toSslContext(value: SslOption, where: string, serverSide: boolean): SslContext | null {
  if (value === undefined || value === null || value === false) return null;
  let ctx: SslContext;
  if (value === true) {
    if (serverSide) throw new ValueError(`${where}: a TLS server needs a certificate: pass ssl: createSslContext({ cert, key })`);
    ctx = new SslContext();
  } else if (value instanceof SslContext) ctx = value;
  else if (typeof value === "object") ctx = new SslContext(value);
  else throw new TypeError(`${where}: ssl must be true, an SslContext or its options, got ${describe(value)}`);
  if (serverSide && !ctx.canServe) {
    throw new ValueError(`${where}: a TLS server needs a certificate: the SslContext has no cert and key`);
  }
  return ctx;
}

// ---- errors ---------------------------------------------------------------------------------------

/**
 * A TLS error (Python's `ssl.SSLError`, an `OSError`): a handshake the peer refused, a
 * protocol error. `reason` is the short name (`WRONG_VERSION_NUMBER`), `code` the host's code.
 *
 * @example
 * catch (e) { if (e instanceof SSLError) console.log(e.reason); }
 */
export class SSLError extends OSError {
  override name = "SSLError";
  /** The short reason, as Python's `SSLError.reason`. */
  reason: string | null = null;
}

/**
 * The peer's certificate did not verify (Python's `ssl.SSLCertVerificationError`): untrusted,
 * expired, or naming another host. `verifyMessage` says why.
 *
 * @example
 * catch (e) { if (e instanceof SSLCertVerificationError) console.log(e.verifyMessage); }
 */
export class SSLCertVerificationError extends SSLError {
  override name = "SSLCertVerificationError";
  /** Why verification failed (the host's words). */
  verifyMessage = "";
}

/** OpenSSL's X509 verify results as Node names them, plus Node's own hostname check. */
const VERIFY_CODES = new Set([
  "UNABLE_TO_GET_ISSUER_CERT", "UNABLE_TO_GET_CRL", "UNABLE_TO_DECRYPT_CERT_SIGNATURE",
  "UNABLE_TO_DECRYPT_CRL_SIGNATURE", "UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY", "CERT_SIGNATURE_FAILURE",
  "CRL_SIGNATURE_FAILURE", "CERT_NOT_YET_VALID", "CERT_HAS_EXPIRED", "CRL_NOT_YET_VALID", "CRL_HAS_EXPIRED",
  "ERROR_IN_CERT_NOT_BEFORE_FIELD", "ERROR_IN_CERT_NOT_AFTER_FIELD", "ERROR_IN_CRL_LAST_UPDATE_FIELD",
  "ERROR_IN_CRL_NEXT_UPDATE_FIELD", "DEPTH_ZERO_SELF_SIGNED_CERT", "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY", "UNABLE_TO_VERIFY_LEAF_SIGNATURE", "CERT_CHAIN_TOO_LONG", "CERT_REVOKED",
  "INVALID_CA", "PATH_LENGTH_EXCEEDED", "INVALID_PURPOSE", "CERT_UNTRUSTED", "CERT_REJECTED", "HOSTNAME_MISMATCH",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);

/**
 * @internal An error from a TLS connection or upgrade, as the class a user catches: a failed
 * verification is SSLCertVerificationError, any other TLS failure SSLError, and the rest (a
 * reset, a refused connection) the usual OSError. `peer` names whom we talked to.
 */
export function tlsErrorFromWire(wire: WireError, peer: string): Error {
  const code = wire.code;
  if (code !== undefined && VERIFY_CODES.has(code)) {
    const err = new SSLCertVerificationError(
      `[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed for ${peer}: ${wire.message} (${code})`,
      { code },
    );
    err.reason = "CERTIFICATE_VERIFY_FAILED";
    err.verifyMessage = wire.message;
    if (wire.stack !== undefined) err.stack = wire.stack;
    return err;
  }
  if (code !== undefined && (code.startsWith("ERR_SSL_") || code.startsWith("ERR_TLS_") || code.startsWith("ERR_OSSL_"))) {
    const reason = code.replace(/^ERR_(SSL|TLS|OSSL)_/, "");
    const err = new SSLError(`[SSL: ${reason}] TLS with ${peer} failed: ${wire.message}`, { code });
    err.reason = reason;
    if (wire.stack !== undefined) err.stack = wire.stack;
    return err;
  }
  return errorFromWire(wire);
}

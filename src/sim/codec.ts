// The trace's value codec: how what crosses the host boundary is written as JSON, and rebuilt.
// Bytes are base64; values JSON cannot hold are tagged objects with one `$` key (see
// the README's "Record and replay" section, "Values"); events are encoded strictly (a value a replay could not give
// back is refused), commands leniently (they are only compared: a host object is a placeholder).

import {
  BrokenBarrierError,
  CancelledError,
  ConnectionAbortedError,
  ConnectionError,
  ConnectionRefusedError,
  ConnectionResetError,
  BrokenPipeError,
  FileNotFoundError,
  IncompleteReadError,
  InvalidStateError,
  KeyboardInterrupt,
  LimitOverrunError,
  NotImplementedError,
  OSError,
  PermissionError,
  ProcessLookupError,
  QueueEmpty,
  QueueFull,
  QueueShutDown,
  ReplayDivergence,
  RuntimeError,
  TimeoutError,
  ValueError,
  describe,
} from "../errors.js";
import type { Command, HostEvent } from "../io/driver.js";

/**
 * A JSON value — or, in memory only, a `Uint8Array`: bytes this process recorded, kept as a copy
 * and written as `{"$b": base64}` when the trace becomes text (`bytesReplacer`). Encoding every
 * write and read to base64 while the program runs cost more than copying it.
 */
export type Json = null | boolean | number | string | Uint8Array | Json[] | { [key: string]: Json };

/** Bytes per chunk of the recorder's byte store. */
const STORE_CHUNK = 1 << 20;

/**
 * Copies of the bytes a recording keeps (writes, reads), packed into 1 MiB chunks: one allocation
 * per chunk rather than one buffer per write, and nothing for the GC to walk.
 */
export class ByteStore {
  private chunk = new Uint8Array(STORE_CHUNK);
  private used = 0;

  copy(bytes: Uint8Array): Uint8Array {
    const n = bytes.length;
    if (n > STORE_CHUNK >>> 4) return bytes.slice(); // a big one gets its own buffer
    if (this.used + n > STORE_CHUNK) {
      this.chunk = new Uint8Array(STORE_CHUNK);
      this.used = 0;
    }
    const view = this.chunk.subarray(this.used, this.used + n);
    view.set(bytes);
    this.used += n;
    return view;
  }
}

/** `JSON.stringify`'s replacer for in-memory traces: bytes as `{"$b": base64}`. */
export function bytesReplacer(_key: string, value: unknown): unknown {
  return value instanceof Uint8Array ? { $b: toBase64(value) } : value;
}

// ---- base64 --------------------------------------------------------------------------------

/** Bytes per String.fromCharCode.apply call (well under every engine's argument limit). */
const CHARS_PER_CALL = 8192;

/**
 * Standard base64 (with padding) of `bytes`: the host's btoa over one binary string (every host
 * has btoa). Measured on 100-byte writes: 0.4 µs, where building the text a character at a time
 * took 0.8-1.9 µs and left a rope of small strings per value behind (3x the heap while recording).
 */
export function toBase64(bytes: Uint8Array): string {
  if (bytes.length <= CHARS_PER_CALL) return btoa(String.fromCharCode.apply(null, bytes as unknown as number[]));
  let binary = "";
  for (let k = 0; k < bytes.length; k += CHARS_PER_CALL) binary += String.fromCharCode.apply(null, bytes.subarray(k, k + CHARS_PER_CALL) as unknown as number[]);
  return btoa(binary);
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Decode standard base64 (padded); `null` when `text` is not that. */
export function fromBase64(text: string): Uint8Array | null {
  if (typeof text !== "string" || !BASE64.test(text)) return null;
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

// ---- values ---------------------------------------------------------------------------------

/** A value a trace cannot hold, found while recording an event. */
export class UnrecordableValue extends ValueError {}

const TYPED_ARRAYS: Record<string, new (buffer: ArrayBuffer) => ArrayBufferView> = {
  Int8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
};

/** Error classes a replay rebuilds by name (their class, not just their name, comes back). */
const ERROR_CLASSES: Record<string, abstract new (...args: never[]) => Error> = {
  Error,
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
  EvalError,
  URIError,
  AggregateError,
  CancelledError,
  TimeoutError,
  InvalidStateError,
  RuntimeError,
  NotImplementedError,
  ValueError,
  QueueEmpty,
  QueueFull,
  QueueShutDown,
  BrokenBarrierError,
  OSError,
  ConnectionError,
  ConnectionRefusedError,
  ConnectionResetError,
  ConnectionAbortedError,
  BrokenPipeError,
  FileNotFoundError,
  ProcessLookupError,
  PermissionError,
  IncompleteReadError,
  LimitOverrunError,
  KeyboardInterrupt,
  ReplayDivergence,
};

export function numberJson(v: number): Json {
  if (Number.isFinite(v) && !Object.is(v, -0)) return v;
  return { $n: Object.is(v, -0) ? "-0" : String(v) };
}

/**
 * Encode `value` as JSON. `strict` (events: what a replay gives back): a value the trace cannot
 * rebuild throws `UnrecordableValue` naming where it is; otherwise (commands: only compared) it
 * is written as `{"$host": "<what>"}`.
 */
export function encodeValue(value: unknown, strict: boolean, where: string): Json {
  return enc(value, strict, where, []);
}

function enc(v: unknown, strict: boolean, where: string, seen: object[]): Json {
  switch (typeof v) {
    case "string":
    case "boolean":
      return v;
    case "number":
      return numberJson(v);
    case "undefined":
      return { $u: 1 };
    case "bigint":
      return { $big: v.toString() };
    case "object":
      break;
    default:
      return refuse(v, strict, where, `a ${typeof v}`);
  }
  if (v === null) return null;
  const o = v as object;
  if (v instanceof Uint8Array) return { $b: toBase64(v) };
  if (seen.includes(o)) return refuse(v, strict, where, "a cycle (an object that contains itself)");
  if (ArrayBuffer.isView(v)) {
    const name = v.constructor?.name;
    const bytes = new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
    if (name !== undefined && name in TYPED_ARRAYS) return { $ta: [name, toBase64(bytes)] };
    return refuse(v, strict, where, `a ${name ?? "typed view"}`);
  }
  if (v instanceof ArrayBuffer) return { $ab: toBase64(new Uint8Array(v)) };
  seen.push(o);
  try {
    if (Array.isArray(v)) {
      const out: Json[] = new Array(v.length);
      for (let k = 0; k < v.length; k++) out[k] = enc(v[k], strict, `${where}[${k}]`, seen);
      return out;
    }
    if (v instanceof Date) return { $date: numberJson(v.getTime()) };
    if (v instanceof Error) return { $err: encError(v, where, seen) };
    if (v instanceof Map) {
      const out: Json[] = [];
      let k = 0;
      for (const [key, val] of v) {
        out.push([enc(key, strict, `${where}.<key ${k}>`, seen), enc(val, strict, `${where}.get(${k})`, seen)]);
        k++;
      }
      return { $map: out };
    }
    if (v instanceof Set) {
      const out: Json[] = [];
      let k = 0;
      for (const val of v) out.push(enc(val, strict, `${where}.<item ${k++}>`, seen));
      return { $set: out };
    }
    const proto = Object.getPrototypeOf(v);
    if (proto === Object.prototype || proto === null) {
      const out: { [key: string]: Json } = {};
      let dollar = false;
      for (const key of Object.keys(v)) {
        if (key.charCodeAt(0) === 36 /* $ */) dollar = true;
        out[key] = enc((v as Record<string, unknown>)[key], strict, `${where}.${key}`, seen);
      }
      return dollar ? { $o: out } : out;
    }
    const name = (proto?.constructor as { name?: string } | undefined)?.name || "object";
    return refuse(v, strict, where, `a ${name}`);
  } finally {
    seen.pop();
  }
}

function encError(e: Error, where: string, seen: object[]): Json {
  const out: { [key: string]: Json } = { name: String(e.name), message: String(e.message) };
  if (typeof e.stack === "string") out.stack = e.stack;
  // own fields a user reads (code, errno, partial, expected…): kept when they are data
  const props: { [key: string]: Json } = {};
  let any = false;
  for (const key of Object.keys(e)) {
    if (key === "name" || key === "message" || key === "stack") continue;
    props[key] = enc((e as unknown as Record<string, unknown>)[key], false, `${where}.${key}`, seen);
    any = true;
  }
  const own = e as { cause?: unknown; errors?: unknown };
  if ("cause" in e && !Object.prototype.propertyIsEnumerable.call(e, "cause")) {
    props.cause = enc(own.cause, false, `${where}.cause`, seen);
    any = true;
  }
  if (Array.isArray(own.errors) && !Object.prototype.propertyIsEnumerable.call(e, "errors")) {
    props.errors = enc(own.errors, false, `${where}.errors`, seen);
    any = true;
  }
  if (any) out.props = props;
  return out;
}

function refuse(v: unknown, strict: boolean, where: string, what: string): Json {
  if (!strict) return { $host: what };
  throw new UnrecordableValue(
    `${where} is ${what} (${describe(v)}), which a trace cannot hold: a replay gives back data only — ` +
      "JSON values, bytes, Dates, Errors, Maps, Sets, typed arrays. Hand the loop data instead, " +
      "e.g. wrap(fetch(url).then((r) => r.text())) rather than wrap(fetch(url))",
  );
}

/** Rebuild a value written by `encodeValue` (fresh objects each call). */
export function decodeValue(json: Json): unknown {
  if (json === null || typeof json !== "object") return json;
  if (json instanceof Uint8Array) return json.slice();
  if (Array.isArray(json)) return json.map(decodeValue);
  const keys = Object.keys(json);
  if (keys.length === 1 && keys[0].charCodeAt(0) === 36) {
    const tag = keys[0];
    const body = json[tag];
    switch (tag) {
      case "$b": {
        const bytes = fromBase64(body as string);
        if (bytes === null) throw new ValueError(`bad base64 in {"$b": …}`);
        return bytes;
      }
      case "$u":
        return undefined;
      case "$n":
        if (body === "NaN") return NaN;
        if (body === "Infinity") return Infinity;
        if (body === "-Infinity") return -Infinity;
        if (body === "-0") return -0;
        throw new ValueError(`bad number ${describe(body)} in {"$n": …}`);
      case "$big":
        if (typeof body !== "string" || !/^-?\d+$/.test(body)) throw new ValueError(`bad BigInt ${describe(body)}`);
        return BigInt(body);
      case "$date":
        return new Date(decodeValue(body) as number);
      case "$map":
        if (!Array.isArray(body)) throw new ValueError(`{"$map": …} must hold [key, value] pairs`);
        return new Map(body.map((pair) => {
          if (!Array.isArray(pair) || pair.length !== 2) throw new ValueError(`{"$map": …} must hold [key, value] pairs`);
          return [decodeValue(pair[0]), decodeValue(pair[1])];
        }));
      case "$set":
        if (!Array.isArray(body)) throw new ValueError(`{"$set": …} must hold a list`);
        return new Set(body.map(decodeValue));
      case "$ta": {
        if (!Array.isArray(body) || typeof body[0] !== "string" || !(body[0] in TYPED_ARRAYS)) throw new ValueError(`bad {"$ta": …}`);
        const bytes = fromBase64(body[1] as string);
        if (bytes === null) throw new ValueError(`bad base64 in {"$ta": …}`);
        try {
          return new TYPED_ARRAYS[body[0]](bytes.buffer as ArrayBuffer);
        } catch {
          throw new ValueError(`{"$ta": …}: ${bytes.length} bytes do not make a ${body[0]}`);
        }
      }
      case "$ab": {
        const bytes = fromBase64(body as string);
        if (bytes === null) throw new ValueError(`bad base64 in {"$ab": …}`);
        return bytes.buffer;
      }
      case "$err":
        return decodeError(body);
      case "$o": {
        if (body === null || typeof body !== "object" || Array.isArray(body) || body instanceof Uint8Array) throw new ValueError(`{"$o": …} must hold an object`);
        const out: Record<string, unknown> = {};
        for (const key of Object.keys(body)) out[key] = decodeValue(body[key]);
        return out;
      }
      case "$host":
        throw new ValueError(`{"$host": …} (a host object) has no value to give back`);
      default:
        throw new ValueError(`unknown tag ${JSON.stringify(tag)}`);
    }
  }
  const out: Record<string, unknown> = {};
  for (const key of keys) out[key] = decodeValue(json[key]);
  return out;
}

function decodeError(body: Json): Error {
  if (body === null || typeof body !== "object" || Array.isArray(body) || body instanceof Uint8Array || typeof body.name !== "string" || typeof body.message !== "string") {
    throw new ValueError(`{"$err": …} needs a name and a message`);
  }
  const Cls = Object.prototype.hasOwnProperty.call(ERROR_CLASSES, body.name) ? ERROR_CLASSES[body.name] : null;
  // a real Error (with a stack slot) whose class is the recorded one, without running that
  // class's constructor (their signatures differ: IncompleteReadError(partial, expected)…)
  const err: Error = Reflect.construct(Error, [body.message], (Cls ?? Error) as unknown as new () => Error);
  if (err.name !== body.name) Object.defineProperty(err, "name", { value: body.name, writable: true, configurable: true, enumerable: false });
  if (typeof body.stack === "string") Object.defineProperty(err, "stack", { value: body.stack, writable: true, configurable: true, enumerable: false });
  const props = body.props;
  if (props !== undefined && props !== null && typeof props === "object" && !Array.isArray(props) && !(props instanceof Uint8Array)) {
    for (const key of Object.keys(props)) {
      const value = decodeValue(props[key]);
      if (key === "cause" || key === "errors") Object.defineProperty(err, key, { value, writable: true, configurable: true, enumerable: false });
      else (err as unknown as Record<string, unknown>)[key] = value;
    }
  }
  return err;
}

// ---- events and commands ----------------------------------------------------------------------

/** An event as the trace keeps it (strict: a value a replay cannot rebuild throws). */
export function encodeEvent(event: HostEvent, store: ByteStore): Json {
  if (event.kind === "data") {
    // the hot one (streams): no generic walk, and the bytes as a copy (base64 when written)
    return { kind: "data", id: event.id, bytes: store.copy(event.bytes) };
  }
  const where = event.kind === "settled" ? `the value a wrapped promise (resource ${event.id}) settled with` : `a '${event.kind}' event for resource ${event.id}`;
  const out: { [key: string]: Json } = {};
  for (const key of Object.keys(event)) {
    const v = (event as unknown as Record<string, unknown>)[key];
    out[key] = key === "kind" || key === "id" ? (v as Json) : enc(v, true, key === "value" ? where : `${where}: ${key}`, []);
  }
  return out;
}

/** A recorded event, rebuilt for delivery (fresh objects and bytes each call). */
export function decodeEvent(json: Json): HostEvent {
  const o = json as { [key: string]: Json };
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(o)) out[key] = key === "kind" || key === "id" ? o[key] : decodeValue(o[key]);
  return out as unknown as HostEvent;
}

/**
 * A command as the trace keeps it: data, compared with what a replay sends. A settle's promise
 * is left out, TLS options keep only their names (certificates and keys stay out of traces),
 * and other host objects become `{"$host": …}`.
 */
export function encodeCommand(command: Command, store: ByteStore | null): Json {
  // a recording keeps a copy of the bytes; a replay compares the program's own
  if (command.op === "write") return { op: "write", id: command.id, bytes: store === null ? command.bytes : store.copy(command.bytes) };
  if (command.op === "settle") return { op: "settle", id: command.id };
  const out: { [key: string]: Json } = {};
  for (const key of Object.keys(command)) {
    const v = (command as unknown as Record<string, unknown>)[key];
    if (key === "tls" && v !== null && v !== undefined) out.tls = encodeTls(v as Record<string, unknown>);
    else out[key] = enc(v, false, key, []);
  }
  return out;
}

function encodeTls(tls: Record<string, unknown>): Json {
  const out: { [key: string]: Json } = {};
  for (const key of Object.keys(tls)) {
    const v = tls[key];
    if (key === "options") out.options = v !== null && typeof v === "object" ? Object.keys(v).sort() : enc(v, false, key, []);
    else out[key] = enc(v, false, key, []);
  }
  return out;
}

// ---- describing things, for messages --------------------------------------------------------------

function bytesText(b64: Json): string {
  const bytes = b64 instanceof Uint8Array ? b64 : typeof b64 === "string" ? fromBase64(b64) : null;
  if (bytes === null) return "(bad bytes)";
  const shown = bytes.subarray(0, 48);
  let s = "";
  for (const c of shown) s += c >= 32 && c < 127 && c !== 34 && c !== 92 ? String.fromCharCode(c) : c === 10 ? "\\n" : c === 13 ? "\\r" : c === 34 ? '\\"' : c === 92 ? "\\\\" : `\\x${c.toString(16).padStart(2, "0")}`;
  return `${bytes.length} byte${bytes.length === 1 ? "" : "s"} "${s}"${bytes.length > shown.length ? "…" : ""}`;
}

function bytesOf(json: Json): Json {
  if (json instanceof Uint8Array) return json;
  return json !== null && typeof json === "object" && !Array.isArray(json) ? json.$b : null;
}

export function brief(json: Json): string {
  const text = JSON.stringify(json, bytesReplacer);
  return text.length > 160 ? text.slice(0, 157) + "…" : text;
}

/** A recorded command in words: `write of 5 bytes "hello" to resource 3`. */
export function describeCommandJson(json: Json): string {
  const c = json as { [key: string]: Json };
  if (c === null || typeof c !== "object") return brief(json);
  const id = c.id;
  switch (c.op) {
    case "write":
      return `write of ${bytesText(bytesOf(c.bytes))} to resource ${id}`;
    case "sendto":
      return `sendto of ${bytesText(bytesOf(c.bytes))} from resource ${id}${c.addr ? ` to ${brief(c.addr)}` : ""}`;
    case "connect":
      return `connect of resource ${id} to ${c.host}:${c.port}${c.tls ? " (TLS)" : ""}`;
    case "listen":
      return `listen of resource ${id} on ${c.host ?? "*"}:${c.port}`;
    case "close":
    case "abort":
    case "writeEof":
    case "pauseReading":
    case "resumeReading":
    case "stopListening":
    case "settle":
      return `${c.op} of resource ${id}`;
    case "spawn":
      return `spawn of resource ${id}: ${brief([c.file, ...((c.args as Json[]) ?? [])])}`;
    default:
      return `${c.op} ${brief(Object.fromEntries(Object.entries(c).filter(([k]) => k !== "op")))}`;
  }
}

/** A recorded event in words: `data for resource 3: 5 bytes "hello"`. */
export function describeEventJson(json: Json): string {
  const e = json as { [key: string]: Json };
  if (e === null || typeof e !== "object") return brief(json);
  if (e.kind === "data") return `data for resource ${e.id}: ${bytesText(bytesOf(e.bytes))}`;
  const rest = Object.fromEntries(Object.entries(e).filter(([k]) => k !== "kind" && k !== "id"));
  return `'${e.kind}' for resource ${e.id}${Object.keys(rest).length ? ` ${brief(rest)}` : ""}`;
}

/** A checksum in words. */
export function hex32(n: number): string {
  return "0x" + (n >>> 0).toString(16).padStart(8, "0");
}

/** Deep equality of two JSON values (key order ignored). */
export function jsonEqual(a: Json, b: Json): boolean {
  if (a === b) return true;
  if (typeof a === "number" && typeof b === "number") return Object.is(a, b);
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object") return false;
  if (a instanceof Uint8Array || b instanceof Uint8Array) return bytesEqual(asBytes(a), asBytes(b));
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let k = 0; k < a.length; k++) if (!jsonEqual(a[k], b[k])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const key of ka) if (!Object.prototype.hasOwnProperty.call(b, key) || !jsonEqual(a[key], b[key])) return false;
  return true;
}

/** Bytes in memory, or written as {"$b": base64}; else null. */
function asBytes(v: Json): Uint8Array | null {
  if (v instanceof Uint8Array) return v;
  if (v !== null && typeof v === "object" && !Array.isArray(v) && typeof v.$b === "string" && Object.keys(v).length === 1) return fromBase64(v.$b);
  return null;
}

function bytesEqual(x: Uint8Array | null, y: Uint8Array | null): boolean {
  if (x === null || y === null || x.length !== y.length) return false;
  for (let k = 0; k < x.length; k++) if (x[k] !== y[k]) return false;
  return true;
}

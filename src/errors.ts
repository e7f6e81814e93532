// The exceptions asyncio raises, as JS classes. Each sets `name` so stack traces and
// `String(err)` read like Python's, and each is exported from the package.

/**
 * The constructor every wasyncio error shares: a message (default "", `null` allowed as
 * Python's None) and Error's `{ cause }`. Each subclass only names itself, as a field, so the
 * name survives minification.
 */
abstract class AsyncioError extends Error {
  constructor(message?: string | null, options?: { cause?: unknown }) {
    super(message ?? "", options);
  }
}

/**
 * The operation was cancelled. Thrown into a task's coroutine at its current `yield*` by
 * `Task.cancel()`, and raised by `result()` of a cancelled future.
 *
 * @example
 * try { yield* sleep(10); } catch (e) { if (e instanceof CancelledError) cleanup(); throw e; }
 */
export class CancelledError extends AsyncioError {
  override name = "CancelledError";
}

/**
 * A deadline passed (`waitFor`, `timeout`). Its `cause` is the `CancelledError` it replaced.
 *
 * @example
 * catch (e) { if (e instanceof TimeoutError) console.log("too slow"); }
 */
export class TimeoutError extends AsyncioError {
  override name = "TimeoutError";
}

/**
 * A future was used in a state that does not allow it: `setResult` on a done future,
 * `result()` of a pending one.
 *
 * @example
 * fut.setResult(1); fut.setResult(2); // throws InvalidStateError
 */
export class InvalidStateError extends AsyncioError {
  override name = "InvalidStateError";
}

/**
 * Python's RuntimeError: the loop is closed or already running, `run()` was nested, a deadlock
 * was found by `runSync`, or the core aborted.
 *
 * @example
 * loop.close(); loop.callSoon(f); // throws RuntimeError("Event loop is closed")
 */
export class RuntimeError extends AsyncioError {
  override name = "RuntimeError";
}

/**
 * The host lacks a feature (for example signals in a browser). The message names the host
 * and the feature.
 *
 * @example
 * loop.addSignalHandler("SIGINT", f); // in a browser: NotImplementedError
 */
export class NotImplementedError extends AsyncioError {
  override name = "NotImplementedError";
}

/**
 * Python's ValueError: an argument has the right type but a value asyncio rejects.
 *
 * @example
 * new Semaphore(-1); // throws ValueError
 */
export class ValueError extends AsyncioError {
  override name = "ValueError";
}

/**
 * `getNowait()` on an empty queue.
 *
 * @example
 * try { q.getNowait(); } catch (e) { if (e instanceof QueueEmpty) idle(); }
 */
export class QueueEmpty extends AsyncioError {
  override name = "QueueEmpty";
}

/**
 * `putNowait()` on a full queue.
 *
 * @example
 * try { q.putNowait(job); } catch (e) { if (e instanceof QueueFull) reject(job); }
 */
export class QueueFull extends AsyncioError {
  override name = "QueueFull";
}

/**
 * The queue was shut down (3.13): `put` always, `get` once the queue is empty (at once after
 * `shutdown(true)`). Blocked getters and putters are woken with it.
 *
 * @example
 * try { for (;;) handle(yield* q.get()); } catch (e) { if (!(e instanceof QueueShutDown)) throw e; }
 */
export class QueueShutDown extends AsyncioError {
  override name = "QueueShutDown";
}

/**
 * A barrier was reset or aborted while a task waited on it (or is waited on while broken).
 *
 * @example
 * try { yield* barrier.wait(); } catch (e) { if (e instanceof BrokenBarrierError) retry(); }
 */
export class BrokenBarrierError extends AsyncioError {
  override name = "BrokenBarrierError";
}

/**
 * Several errors at once (a `TaskGroup` whose children failed). The children are in `errors`
 * (AggregateError's field) and in `exceptions` (Python's name).
 *
 * @example
 * catch (e) { if (e instanceof ExceptionGroup) for (const x of e.exceptions) log(x); }
 */
export class ExceptionGroup extends AggregateError {
  readonly exceptions: readonly unknown[];
  constructor(message: string, exceptions: Iterable<unknown>) {
    const list = Array.from(exceptions);
    if (list.length === 0) throw new ValueError("ExceptionGroup: exceptions must be a non-empty sequence");
    super(list, message);
    this.name = "ExceptionGroup";
    this.exceptions = list;
  }
}

/** Describe a value for an error message: short, never throws. */
export function describe(value: unknown): string {
  if (value === null) return "null";
  if (value === undefined) return "undefined";
  if (typeof value === "function") return `function ${value.name || "<anonymous>"}`;
  if (typeof value === "string") return JSON.stringify(value.length > 40 ? value.slice(0, 40) + "…" : value);
  if (typeof value === "object") {
    try {
      if (Array.isArray(value)) return `an Array of ${value.length}`;
      const s = String(value);
      if (!/^\[object \w*\]$/.test(s)) return s;
      const ctor = (value as { constructor?: { name?: string } }).constructor?.name;
      if (!ctor || ctor === "Object") {
        const keys = Object.keys(value);
        return keys.length === 0 ? "an empty object {}" : `an object {${keys.slice(0, 4).join(", ")}${keys.length > 4 ? ", …" : ""}}`;
      }
      return `${/^[AEIOU]/.test(ctor) ? "an" : "a"} ${ctor} object`;
    } catch {
      return "an object (that could not be inspected: a Proxy?)";
    }
  }
  try {
    return String(value);
  } catch {
    return typeof value;
  }
}

/**
 * @internal A duration or deadline argument: a number of seconds, never NaN (a NaN deadline
 * would misorder the timer heap). With `orNull`, null/undefined mean "none" and give null.
 * `where` names the call, e.g. "callLater(delay)".
 */
export function checkSeconds(value: unknown, where: string, arg: string): number;
export function checkSeconds(value: unknown, where: string, arg: string, orNull: true): number | null;
export function checkSeconds(value: unknown, where: string, arg: string, orNull = false): number | null {
  if (orNull && (value === null || value === undefined)) return null;
  const what = orNull ? "a number of seconds or null" : "a number of seconds";
  if (typeof value !== "number") throw new TypeError(`${where}: ${arg} must be ${what}, got ${describe(value)}`);
  if (value !== value) throw new ValueError(`${where}: ${arg} must be ${what}, got NaN`);
  return value;
}

// ---- I/O errors -------------------------------------------------------------------------------

/**
 * An operating-system error, as Python's OSError: `code` is the errno name (`ECONNREFUSED`) or
 * the host's code; `errno` its number where known. The subclasses below are what a host error
 * becomes, by code, so a caught error reads the same on every host (and in a replay).
 *
 * @example
 * catch (e) { if (e instanceof OSError) console.log(e.code); }
 */
export class OSError extends AsyncioError {
  override name = "OSError";
  /** The errno name (`ECONNRESET`) or host code; `null` when unknown. */
  code: string | null;
  constructor(message?: string | null, options?: { cause?: unknown; code?: string | null }) {
    super(message, options);
    this.code = options?.code ?? null;
  }
}

/** A connection-related OSError (Python's ConnectionError). */
export class ConnectionError extends OSError {
  override name = "ConnectionError";
}
/** The peer refused the connection (`ECONNREFUSED`). */
export class ConnectionRefusedError extends ConnectionError {
  override name = "ConnectionRefusedError";
}
/** The peer reset the connection (`ECONNRESET`). */
export class ConnectionResetError extends ConnectionError {
  override name = "ConnectionResetError";
}
/** The connection was aborted (`ECONNABORTED`). */
export class ConnectionAbortedError extends ConnectionError {
  override name = "ConnectionAbortedError";
}
/** Writing to a pipe or socket whose other end is closed (`EPIPE`). */
export class BrokenPipeError extends ConnectionError {
  override name = "BrokenPipeError";
}
/** A file or program that does not exist (`ENOENT`). */
export class FileNotFoundError extends OSError {
  override name = "FileNotFoundError";
}
/** No such process (`ESRCH`): e.g. signalling a process that already exited. */
export class ProcessLookupError extends OSError {
  override name = "ProcessLookupError";
}
/** Not allowed (`EACCES`, `EPERM`, or a host permission such as Deno's `--allow-net`). */
export class PermissionError extends OSError {
  override name = "PermissionError";
}

const OS_ERRORS: Record<string, new (message?: string | null, options?: { cause?: unknown; code?: string | null }) => OSError> = {
  ECONNREFUSED: ConnectionRefusedError,
  ECONNRESET: ConnectionResetError,
  ECONNABORTED: ConnectionAbortedError,
  EPIPE: BrokenPipeError,
  ERR_STREAM_DESTROYED: BrokenPipeError,
  ENOENT: FileNotFoundError,
  ESRCH: ProcessLookupError,
  EACCES: PermissionError,
  EPERM: PermissionError,
};

/**
 * @internal An error that crossed the driver as data (`{ name, code, message, stack }`) as the
 * error a user catches: an OSError subclass by code, a host error with a code as OSError, and
 * anything else as an Error with the same name, message and stack.
 */
export function errorFromWire(wire: { name: string; code?: string; message: string; stack?: string }): Error {
  let err: Error;
  const Cls = wire.code !== undefined ? OS_ERRORS[wire.code] : undefined;
  if (Cls !== undefined) err = new Cls(wire.message, { code: wire.code });
  else if (wire.code !== undefined && wire.code.startsWith("E")) err = new OSError(wire.message, { code: wire.code });
  else {
    err = new Error(wire.message);
    err.name = wire.name;
    if (wire.code !== undefined) (err as { code?: string }).code = wire.code;
  }
  if (wire.stack !== undefined) err.stack = wire.stack;
  return err;
}

/**
 * `readexactly(n)` or `readuntil()` hit EOF first: `partial` holds what was read, `expected`
 * how many bytes were wanted (`null` for readuntil).
 *
 * @example
 * catch (e) { if (e instanceof IncompleteReadError) rest = e.partial; }
 */
export class IncompleteReadError extends AsyncioError {
  override name = "IncompleteReadError";
  readonly partial: Uint8Array;
  readonly expected: number | null;
  constructor(partial: Uint8Array, expected: number | null) {
    super(`${partial.length} bytes read on a total of ${expected === null ? "undefined" : expected} expected bytes`);
    this.partial = partial;
    this.expected = expected;
  }
}

/**
 * `readuntil()` found no separator within the reader's limit; `consumed` is how many bytes
 * could be consumed to make progress.
 *
 * @example
 * catch (e) { if (e instanceof LimitOverrunError) yield* reader.readexactly(e.consumed); }
 */
export class LimitOverrunError extends AsyncioError {
  override name = "LimitOverrunError";
  readonly consumed: number;
  constructor(message: string, consumed: number) {
    super(message);
    this.consumed = consumed;
  }
}

/**
 * `run()` was interrupted by Ctrl+C (SIGINT): the main task was cancelled, as asyncio's
 * Runner turns the first SIGINT into a cancellation and raises KeyboardInterrupt.
 *
 * @example
 * run(main).catch((e) => { if (e instanceof KeyboardInterrupt) process.exitCode = 130; });
 */
export class KeyboardInterrupt extends AsyncioError {
  override name = "KeyboardInterrupt";
}

/**
 * A replay (`run(main, { replay: trace })`) stopped where the program no longer does what the
 * recording did. `iteration` is the loop iteration (the first is 1; 0 is before the loop ran),
 * `expected` what the trace holds there and `actual` what the replay did, both in words (a
 * command with its bytes, a scheduler checksum with the handles that were ready, a clock read…).
 *
 * @example
 * try { await run(main, { replay }); } catch (e) { if (e instanceof ReplayDivergence) console.log(e.iteration, e.expected, e.actual); }
 */
export class ReplayDivergence extends AsyncioError {
  override name = "ReplayDivergence";
  readonly iteration: number;
  readonly expected: string;
  readonly actual: string;
  constructor(iteration: number, expected: string, actual: string, detail?: string) {
    super(`replay diverged at iteration ${iteration}: expected ${expected}, got ${actual}${detail ? ` (${detail})` : ""}`);
    this.iteration = iteration;
    this.expected = expected;
    this.actual = actual;
  }
}

/**
 * @internal A structured form's body (`withLock`, `timeout`, `taskGroup`): a generator function.
 * An `async` function is refused here, before anything runs: its code would start at once,
 * outside the form (with no lock held, no deadline), at the first `await`.
 */
export function checkBody(body: unknown, where: string, shape: string): void {
  if (typeof body !== "function") {
    throw new TypeError(`${where}: body must be a generator function (${shape}), got ${describe(body)}`);
  }
  const tag = Object.prototype.toString.call(body);
  if (tag === "[object AsyncFunction]" || tag === "[object AsyncGeneratorFunction]") {
    throw new TypeError(
      `${where}: body must be a generator function (${shape}), got an async function ${describe(body)}: ` +
        "its code would run outside the form at its first await; write it as function* with yield*",
    );
  }
}

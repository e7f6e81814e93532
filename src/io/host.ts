// What the loop needs from its host: a real clock, a way to run soon in a new macrotask, and
// timers. Every JS host has setTimeout; Node and Bun have setImmediate (the fastest macrotask);
// browsers, Deno and workerd have MessageChannel.

type Callback = () => void;

/** Real monotonic time in seconds. */
export const realNow: () => number =
  typeof performance !== "undefined" && typeof performance.now === "function"
    ? () => performance.now() / 1000
    : () => Date.now() / 1000;

const g = globalThis as unknown as {
  setImmediate?: (cb: Callback) => unknown;
  setTimeout: (cb: Callback, ms: number) => unknown;
  clearTimeout: (t: unknown) => void;
  MessageChannel?: typeof MessageChannel;
};

function makeMacrotask(): (cb: Callback) => void {
  if (typeof g.setImmediate === "function") {
    const si = g.setImmediate;
    return (cb) => void si(cb);
  }
  if (typeof g.MessageChannel === "function") {
    // One channel, a FIFO of callbacks: a message per request, no timer clamping.
    const queue: Callback[] = [];
    const channel = new g.MessageChannel();
    channel.port1.onmessage = () => {
      const cb = queue.shift();
      if (cb) cb();
    };
    return (cb) => {
      queue.push(cb);
      channel.port2.postMessage(0);
    };
  }
  return (cb) => void g.setTimeout(cb, 0);
}

/** Run `cb` in a new host macrotask, as soon as the host allows. */
export const macrotask: (cb: Callback) => void = makeMacrotask();

/** Longest delay setTimeout accepts (2^31 - 1 ms); longer waits re-arm. */
const MAX_TIMEOUT_MS = 2147483647;

/** Run `cb` after `seconds` of real time. Returns a token for `cancelTimer`. */
export function startTimer(cb: Callback, seconds: number): unknown {
  const ms = Math.min(MAX_TIMEOUT_MS, Math.max(0, Math.ceil(seconds * 1000)));
  return g.setTimeout(cb, ms);
}

export function cancelTimer(token: unknown): void {
  g.clearTimeout(token);
}

/** Read an environment variable where the host has one (Deno without --allow-env throws). */
export function readEnv(name: string): string | undefined {
  try {
    const proc = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process;
    return proc?.env?.[name];
  } catch {
    return undefined;
  }
}

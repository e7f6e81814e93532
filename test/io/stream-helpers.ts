// Helpers for the stream I/O suites: bytes from text and back, the loop's open I/O resources,
// and run() with a check that a program left nothing open.

import { expect } from "vitest";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { getRunningLoop, run, type Coro, type RunOptions } from "../../src/index.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Text as bytes. */
export const b = (s: string): Uint8Array => encoder.encode(s);
/** Bytes as text. */
export const t = (u: Uint8Array): string => decoder.decode(u);

/** The open resources of the running loop, except run()'s own SIGINT handler. */
export function openIo(): string[] {
  return getRunningLoop()
    ._openResources()
    .map(String)
    .filter((s) => !s.includes("SIGINT"));
}

/** Assert (inside main) that no socket, server or connect is open. */
export function expectNothingOpen(): void {
  expect(openIo()).toEqual([]);
}

/**
 * run(main) and check, as main's last step, that it left no I/O resource open; the loop's
 * exception handler records into `messages` (returned) so tests can assert none came.
 */
export async function runIo<T>(main: () => Coro<T>, options: RunOptions = {}): Promise<{ value: T; messages: Record<string, unknown>[] }> {
  const messages: Record<string, unknown>[] = [];
  const value = await run(function* () {
    getRunningLoop().setExceptionHandler((_loop, ctx) => {
      messages.push(ctx);
    });
    const v = yield* main();
    expectNothingOpen();
    return v;
  }, options);
  return { value, messages };
}

/** The port of a server's first socket. */
export function portOf(server: { sockets: { getsockname(): unknown }[] }): number {
  return (server.sockets[0].getsockname() as [string, number])[1];
}

const fixtures = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

/** The self-signed test certificate (CN=localhost, SAN localhost and 127.0.0.1) and its key. */
export const CERT = readFileSync(fixtures("cert.pem"), "utf8");
export const KEY = readFileSync(fixtures("key.pem"), "utf8");
/** Another self-signed certificate, which CERT's clients do not trust. */
export const OTHER_CERT = readFileSync(fixtures("other-cert.pem"), "utf8");
export const OTHER_KEY = readFileSync(fixtures("other-key.pem"), "utf8");

/** Concatenate byte arrays. */
export function concat(parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

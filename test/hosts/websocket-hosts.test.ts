// openWebSocket beyond the browser: Deno and Bun have a global WebSocket (their drivers take the
// connectWebSocket command through io/web.ts), Node 20 has none and raises NotImplementedError
// at the call. The server is the Chromium harness's (a hand-written RFC 6455 server).

import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { NotImplementedError, openWebSocket, run, getRunningLoop } from "../../src/index.ts";
// @ts-ignore: the harness is plain JavaScript, without types
import { startServer } from "./chromium.mjs";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const FIXTURE = fileURLToPath(new URL("./fixtures/websocket-hosts/echo.mjs", import.meta.url));

/** Run a runtime on the fixture; kill it (by PID) if it outlives `ms`. */
async function runFixture(argv: string[], ms = 30_000): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawn(argv[0], argv.slice(1), { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (err += d));
  const timer = setTimeout(() => child.kill("SIGKILL"), ms);
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      child.on("error", reject);
      child.on("exit", (c) => resolve(c));
    });
    return { code, out, err };
  } finally {
    clearTimeout(timer);
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) process.kill(child.pid, "SIGKILL");
  }
}

const RUNTIMES: [string, (url: string) => string[]][] = [
  ["deno", (url) => [`${ROOT}node_modules/.bin/deno`, "run", "--allow-net=127.0.0.1", FIXTURE, url]],
  ["bun", (url) => [`${ROOT}node_modules/.bin/bun`, FIXTURE, url]],
];

describe("openWebSocket on hosts with a global WebSocket", () => {
  for (const [name, argv] of RUNTIMES) {
    it(`${name}: echo, a 1 MiB message, the server's close as EOF, a refused handshake`, async () => {
      if (!existsSync(`${ROOT}dist/index.mjs`)) throw new Error("dist/index.mjs is missing: npm run build first");
      const cmd = argv("ws://x")[0];
      if (!existsSync(cmd)) throw new Error(`${cmd} is missing: npm ci installs ${name}`);
      const server = await startServer();
      try {
        const { code, out, err } = await runFixture(argv(server.wsUrl));
        expect(code, `${name} exited with ${code}: ${err}`).toBe(0);
        expect(JSON.parse(out.trim().split("\n").at(-1)!)).toEqual({
          host: name,
          subprotocol: "wasyncio.test",
          lines: ["one\n", "two\n", "three\n"],
          bigOk: true,
          serverSent: [0, 1, 2, 1, 2, 3],
          reject: ["ConnectionRefusedError", true],
          open: [],
        });
      } finally {
        await server.close();
      }
    }, 60_000);
  }
});

describe("openWebSocket on a host without WebSocket", () => {
  it.runIf(typeof (globalThis as { WebSocket?: unknown }).WebSocket === "undefined")(
    "Node 20: NotImplementedError at the call (or at the first step when made outside a loop), and the loop goes on",
    async () => {
      const early = openWebSocket("ws://127.0.0.1:9/"); // arguments checked, no loop yet: lazy
      const result = await run(function* () {
        let atCall = "no error";
        try {
          openWebSocket("ws://127.0.0.1:9/");
        } catch (e) {
          atCall = `${(e as Error).name}: ${(e as Error).message} (${e instanceof NotImplementedError})`;
        }
        let atStep = "no error";
        try {
          yield* early;
        } catch (e) {
          atStep = `${(e as Error).name}: ${(e as Error).message}`;
        }
        return { atCall, atStep, open: getRunningLoop()._openResources().map(String).filter((s) => !s.includes("SIGINT")) };
      });
      expect(result).toEqual({
        atCall: "NotImplementedError: openWebSocket(url): WebSocket connections are not available on node (true)",
        atStep: "NotImplementedError: openWebSocket(url): WebSocket connections are not available on node",
        open: [],
      });
    },
  );

  it("bad arguments raise at the call on any host, before the host is asked", () => {
    expect(() => openWebSocket("http//missing-colon")).toThrow(/openWebSocket\(url\): url "http\/\/missing-colon" is not a valid URL \(relative URLs need a page to resolve against\)/);
    expect(() => openWebSocket("ws://h/", { protocols: "a,b" })).toThrow(/subprotocol "a,b" is not a valid token/);
    expect(() => openWebSocket("ws://h/", { limit: "big" as never })).toThrow(TypeError);
  });
});

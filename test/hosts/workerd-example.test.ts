// The workerd example the README shows (examples/workerd/: worker.mjs, build.mjs, config.capnp)
// runs as documented: build.mjs bundles the worker with wasyncio/manual (as wrangler would), and
// workerd serves config.capnp — here from a temp copy whose socket address is a free port.
// `npm test` builds dist/ first.

import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// @ts-expect-error: a plain ESM helper without types
import { ROOT, freePort, serveConfig } from "./workerd.mjs";

interface Workerd {
  url: string;
  stop(): Promise<void>;
  output(): string;
}

const EXAMPLE = join(ROOT as string, "examples/workerd");

describe("examples/workerd", () => {
  let wd: Workerd;
  let dir: string;
  let echo: Server;
  let echoPort: number;

  beforeAll(async () => {
    // the same layout as the repository: examples/workerd/{config.capnp,out/worker.mjs}, dist/core.wasm
    dir = mkdtempSync(join(tmpdir(), "wasyncio-workerd-example-"));
    const example = join(dir, "examples/workerd");
    mkdirSync(join(example, "out"), { recursive: true });
    mkdirSync(join(dir, "dist"));
    copyFileSync(join(ROOT as string, "dist/core.wasm"), join(dir, "dist/core.wasm"));
    execFileSync(process.execPath, [join(EXAMPLE, "build.mjs"), join(example, "out/worker.mjs")], { stdio: "pipe" });
    const port: number = await freePort();
    const config = readFileSync(join(EXAMPLE, "config.capnp"), "utf8");
    expect(config).toContain('address = "127.0.0.1:8080"');
    writeFileSync(join(example, "config.capnp"), config.replace('"127.0.0.1:8080"', `"127.0.0.1:${port}"`));
    wd = await serveConfig(join(example, "config.capnp"), { port });
    echo = createServer((c) => c.on("data", (d) => c.end(`${String(d).trim().toUpperCase()}\n`)));
    await new Promise<void>((ok) => echo.listen(0, "127.0.0.1", () => ok()));
    echoPort = (echo.address() as { port: number }).port;
  }, 60_000);

  afterAll(async () => {
    await wd?.stop();
    await new Promise((ok) => (echo ? echo.close(ok) : ok(null)));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function get(path: string): Promise<[number, string]> {
    const res = await fetch(`${wd.url}${path}`, { signal: AbortSignal.timeout(10_000) });
    return [res.status, await res.text()];
  }

  it("is what the README shows: worker.mjs and config.capnp, verbatim", () => {
    const readme = readFileSync(join(ROOT as string, "README.md"), "utf8");
    expect(readme).toContain("```js\n" + readFileSync(join(EXAMPLE, "worker.mjs"), "utf8") + "```");
    expect(readme).toContain("```capnp\n" + readFileSync(join(EXAMPLE, "config.capnp"), "utf8") + "```");
  });

  it("GET /hello: the hello-world program's output", async () => {
    expect(await get("/hello")).toEqual([
      200,
      "Starting wasyncio application...\nHello, Alice!\nHello, Bob!\nGoodbye, Alice!\nGoodbye, Bob!\nwasyncio application finished.\n",
    ]);
  });

  it("GET /echo: a TCP round trip through connect(), and 502 naming the error for a refused port", async () => {
    expect(await get(`/echo?port=${echoPort}`)).toEqual([200, "the server said: HELLO FROM WORKERD\n"]);
    const [status, body] = await get(`/echo?port=${await freePort()}`);
    expect(status).toBe(502);
    expect(body).toMatch(/^ConnectionRefusedError: workerd could not connect to 127\.0\.0\.1:\d+/);
  });

  it("GET /ticks: streams ticks until the client goes away; the loop's main is then cancelled", async () => {
    const client = new AbortController();
    const res = await fetch(`${wd.url}/ticks`, { signal: client.signal });
    const reader = res.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe("tick 0\n");
    client.abort();
    const deadline = Date.now() + 5000;
    while (!wd.output().includes("/ticks: the client went away") && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    expect(wd.output()).toContain("/ticks: the client went away (request.signal aborted: The client has disconnected)");
  });
});

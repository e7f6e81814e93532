// wasyncio in Cloudflare workerd: one event loop per request.
//
//   GET /hello               the hello-world program; its output is the response body
//   GET /echo?port=7000      a TCP round trip to 127.0.0.1:7000 through connect(), within 5 s
//   GET /ticks               a streaming response that ticks until the client goes away
//
// workerd refuses to compile WebAssembly from bytes, so the worker imports wasyncio's core as a
// module and hands it to `initCore` from "wasyncio/manual" (the same API, no inlined bytes).
// Build and serve: `node examples/workerd/build.mjs && npx workerd serve examples/workerd/config.capnp`.
import coreModule from "wasyncio/core.wasm";
import {
  initCore, runForRequest, gather, sleep, timeout, openConnection, createTask, wrap,
  TimeoutError, CancelledError,
} from "wasyncio/manual";

const coreReady = initCore(coreModule);
const enc = new TextEncoder();
const dec = new TextDecoder();

function* hello() {
  const lines = [];
  function* greet(name) {
    lines.push(`Hello, ${name}!`);
    yield* sleep(1);
    lines.push(`Goodbye, ${name}!`);
  }
  lines.push("Starting wasyncio application...");
  yield* gather(greet("Alice"), greet("Bob"));
  lines.push("wasyncio application finished.");
  return new Response(lines.join("\n") + "\n");
}

function* echo(port) {
  try {
    // timeout() cancels the body at the deadline and raises TimeoutError
    return yield* timeout(5, function* () {
      const [reader, writer] = yield* openConnection("127.0.0.1", port);
      try {
        writer.write(enc.encode("hello from workerd\n"));
        const line = yield* reader.readline();
        return new Response(`the server said: ${dec.decode(line)}`);
      } finally {
        writer.close();
        yield* writer.waitClosed();
      }
    });
  } catch (e) {
    if (e instanceof TimeoutError) return new Response("the server took too long\n", { status: 504 });
    return new Response(`${e.name}: ${e.message}\n`, { status: 502 });
  }
}

function ticks(request, ctx) {
  // the handler returns the response at once; the loop writes its body until the client goes
  // away: then request.signal aborts and runForRequest cancels main (needs the
  // enable_request_signal compatibility flag; ctx keeps the request alive for the cleanup)
  const { readable, writable } = new TransformStream();
  const body = writable.getWriter();
  runForRequest(request, function* () {
    try {
      for (let i = 0; ; i++) {
        yield* wrap(body.write(enc.encode(`tick ${i}\n`)));
        yield* sleep(1);
      }
    } catch (e) {
      if (e instanceof CancelledError) console.log(`/ticks: ${e.message}`);
      throw e;
    }
  }, { ctx }).catch(() => {});
  return new Response(readable, { headers: { "content-type": "text/plain" } });
}

export default {
  async fetch(request, env, ctx) {
    await coreReady;
    const url = new URL(request.url);
    switch (url.pathname) {
      case "/hello":
        return await runForRequest(request, hello, { ctx });
      case "/echo":
        return await runForRequest(request, () => echo(Number(url.searchParams.get("port"))), { ctx });
      case "/ticks":
        return ticks(request, ctx);
      default:
        return new Response("try /hello, /echo?port=PORT or /ticks\n", { status: 404 });
    }
  },
};

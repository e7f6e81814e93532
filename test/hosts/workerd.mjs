// A harness that runs worker modules under Cloudflare's workerd (node_modules/.bin/workerd) for
// the host tests. Reusable: the runtime matrix imports it too.
//
//   import { startWorkerd, wasyncioModules } from "./workerd.mjs";
//   const wd = await startWorkerd({
//     modules: [
//       { name: "test/hosts/fixtures/workerd-spec.mjs", path: "test/hosts/fixtures/workerd-spec.mjs" }, // the main module first
//       ...wasyncioModules(),            // dist/manual.mjs, its chunks, dist/core.wasm (as a wasm module)
//     ],
//     bindings: { GREETING: "hello" },   // text (a string), JSON (anything else), { wasm: path }, { data: path }
//     network: { allow: ["local"], trustedCertificates: [pem] }, // connect()/fetch() from the worker
//     compatibilityDate: "2025-09-01", compatibilityFlags: ["enable_request_signal"],
//   });
//   try {
//     const res = await fetch(`${wd.url}/path`);   // http://127.0.0.1:<free port>
//   } finally {
//     await wd.stop();                   // kills workerd by its PID, removes the temp dir
//   }
//
// What it does: writes a capnp config into a fresh temp dir, copies each module there under its
// name (so a module named "test/hosts/fixtures/x.mjs" that imports "../../../dist/manual.mjs"
// finds "dist/manual.mjs", exactly as on disk), embeds them (`.mjs`/`.js` as ES modules, `.wasm`
// as a compiled wasm module: workerd refuses to compile wasm from bytes, so a worker imports
// "…/core.wasm" and calls `initCore(module)` from wasyncio/manual), binds 127.0.0.1 on a free
// port, starts the workerd ELF directly (so `child.pid` is workerd's own), waits until it answers
// HTTP (GET /__harness_ready, READY_PATH: the worker sees that request and may answer it with
// anything, even an error) or exits (its stderr is in the error), and `stop()` sends SIGTERM,
// then SIGKILL after 2 s (workerd waits for requests in flight on SIGTERM), and waits for exit.
//
// Options:
//   modules            [{ name, path } | { name, text }], main module first; `type` may override
//                      the kind ("esModule" | "wasm" | "text" | "data" | "json") that the name's
//                      extension implies.
//   mainModule         the main module's name, when it is not the first of `modules`.
//   bindings           { NAME: value } (see above).
//   network            null (default: workerd's own "internet" service, public addresses only) or
//                      { allow?: string[] (default ["public"]), deny?: string[],
//                        trustedCertificates?: string[] (PEM), trustBrowserCas?: boolean }:
//                      the worker's globalOutbound, which connect() of cloudflare:sockets uses.
//                      Loopback is "local"; 10/8, 192.168/16… are "private".
//   compatibilityDate  default "2025-09-01"; compatibilityFlags default [].
//   startTimeoutMs     how long workerd may take to answer (default 15000).
// Returns { url, port, pid, stop(), output() } — output() is what workerd printed so far
// (stdout + stderr: the worker's console.log lines and workerd's own errors).
//
// Also exported: wasyncioModules(entry = "manual.mjs", dist) (the modules of a built entry),
// serveConfig(configPath, { port }) (run a config you wrote, e.g. examples/workerd/config.capnp
// with its address changed), writeConfig(dir, options), freePort(), ROOT, WORKERD.

import { spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
/** The workerd binary (the npm package's ELF, not a shell wrapper). */
export const WORKERD = join(ROOT, "node_modules/.bin/workerd");

const KINDS = { ".mjs": "esModule", ".js": "esModule", ".wasm": "wasm", ".json": "json", ".txt": "text", ".bin": "data" };

function kindOf(mod) {
  if (mod.type) return mod.type;
  const dot = mod.name.lastIndexOf(".");
  const kind = dot < 0 ? undefined : KINDS[mod.name.slice(dot)];
  if (kind === undefined) throw new Error(`startWorkerd: module '${mod.name}': say its type (esModule, wasm, text, data, json)`);
  return kind;
}

/** A capnp text literal. */
function capnpText(s) {
  return JSON.stringify(String(s));
}

/**
 * The modules of a built wasyncio entry (default `dist/manual.mjs`): the entry, every chunk it
 * imports (recursively), and `dist/core.wasm` as a wasm module, each named `dist/<file>` (their
 * path from the repository root). `dist` is where the build is (default: the repository's
 * dist/). Throws, saying to build, when there is no such entry.
 */
export function wasyncioModules(entry = "manual.mjs", dist = join(ROOT, "dist")) {
  const first = join(dist, entry);
  if (!existsSync(first)) throw new Error(`startWorkerd: ${first} is missing: run \`npm run build\` first`);
  const seen = new Set();
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.shift();
    if (seen.has(file)) continue;
    seen.add(file);
    const text = readFileSync(join(dist, file), "utf8");
    // the chunks it imports (statements at the start of a line: not text inside comments or strings)
    for (const m of text.matchAll(/^(?:import|export)\b[^;]*?\bfrom\s*["']\.\/([^"']+\.mjs)["']/gm)) queue.push(m[1]);
    for (const m of text.matchAll(/^import\s*["']\.\/([^"']+\.mjs)["']/gm)) queue.push(m[1]);
  }
  const modules = [...seen].map((file) => ({ name: `dist/${file}`, path: join(dist, file) }));
  if (!existsSync(join(dist, "core.wasm"))) throw new Error(`startWorkerd: dist/core.wasm is missing: run \`npm run build\` first`);
  modules.push({ name: "dist/core.wasm", path: join(dist, "core.wasm") });
  return modules;
}

/** A port that was free a moment ago on 127.0.0.1. */
export function freePort() {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolvePort(port));
    });
  });
}

/**
 * Whether workerd serves HTTP on `port`: any response counts (workerd binds its socket before it
 * loads the worker, and exits if that fails, so an open port alone proves nothing).
 */
async function answers(port) {
  try {
    const res = await fetch(`http://127.0.0.1:${port}${READY_PATH}`, { signal: AbortSignal.timeout(2000) });
    await res.arrayBuffer();
    return true;
  } catch {
    return false;
  }
}

/** The path the harness asks for until workerd answers (a worker may answer it with anything). */
export const READY_PATH = "/__harness_ready";

function bindingConfig(name, value, dir) {
  if (typeof value === "string") return `(name = ${capnpText(name)}, text = ${capnpText(value)})`;
  if (value !== null && typeof value === "object" && (typeof value.wasm === "string" || typeof value.data === "string")) {
    const kind = typeof value.wasm === "string" ? "wasmModule" : "data";
    const file = `binding-${name}`;
    copyFileSync(value.wasm ?? value.data, join(dir, file));
    return `(name = ${capnpText(name)}, ${kind} = embed ${capnpText(file)})`;
  }
  return `(name = ${capnpText(name)}, json = ${capnpText(JSON.stringify(value))})`;
}

function networkConfig(network, dir) {
  const allow = network.allow ?? ["public"];
  const parts = [`allow = [${allow.map(capnpText).join(", ")}]`];
  if (network.deny) parts.push(`deny = [${network.deny.map(capnpText).join(", ")}]`);
  const tls = [];
  if (network.trustBrowserCas !== undefined) tls.push(`trustBrowserCas = ${network.trustBrowserCas ? "true" : "false"}`);
  if (network.trustedCertificates) {
    const files = network.trustedCertificates.map((pem, i) => {
      const file = `trusted-${i}.pem`;
      writeFileSync(join(dir, file), pem);
      return `embed ${capnpText(file)}`;
    });
    tls.push(`trustedCertificates = [${files.join(", ")}]`);
  }
  if (tls.length > 0) parts.push(`tlsOptions = (${tls.join(", ")})`);
  return `(name = "net", network = (${parts.join(", ")}))`;
}

/** Write the config (and the files it embeds) into `dir`; returns the config's path. */
export function writeConfig(dir, { modules, mainModule, bindings = {}, network = null, compatibilityDate = "2025-09-01", compatibilityFlags = [], port }) {
  if (!Array.isArray(modules) || modules.length === 0) throw new Error("startWorkerd: modules must be a non-empty array, the main module first");
  if (mainModule !== undefined) {
    // workerd takes the first module of the list as the main one
    const main = modules.find((m) => m.name === mainModule);
    if (main === undefined) throw new Error(`startWorkerd: mainModule '${mainModule}' is not one of the modules`);
    modules = [main, ...modules.filter((m) => m !== main)];
  }
  const moduleLines = modules.map((mod) => {
    if (typeof mod.name !== "string" || mod.name === "" || mod.name.startsWith("/") || mod.name.includes("..")) {
      throw new Error(`startWorkerd: module name ${JSON.stringify(mod.name)} must be a relative path without '..'`);
    }
    const file = join(dir, "modules", mod.name);
    mkdirSync(dirname(file), { recursive: true });
    if (typeof mod.path === "string") copyFileSync(mod.path, file);
    else if (typeof mod.text === "string") writeFileSync(file, mod.text);
    else throw new Error(`startWorkerd: module '${mod.name}' needs a path or a text`);
    return `(name = ${capnpText(mod.name)}, ${kindOf(mod)} = embed ${capnpText(`modules/${mod.name}`)})`;
  });
  const bindingLines = Object.entries(bindings).map(([name, value]) => bindingConfig(name, value, dir));
  const services = [`(name = "main", worker = .worker)`];
  if (network !== null) services.push(networkConfig(network, dir));
  const config = `using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    ${services.join(",\n    ")}
  ],
  sockets = [ (name = "http", address = "127.0.0.1:${port}", http = (), service = "main") ],
);

const worker :Workerd.Worker = (
  modules = [
    ${moduleLines.join(",\n    ")}
  ],
  bindings = [
    ${bindingLines.join(",\n    ")}
  ],
  compatibilityDate = ${capnpText(compatibilityDate)},
  compatibilityFlags = [${compatibilityFlags.map(capnpText).join(", ")}],${network !== null ? '\n  globalOutbound = "net",' : ""}
);
`;
  const path = join(dir, "config.capnp");
  writeFileSync(path, config);
  return path;
}

/**
 * Start workerd on `options.modules` (see the top of this file); resolves once it answers on
 * its port, with `{ url, port, pid, stop, output }`. Rejects with workerd's output if it exits
 * or does not answer within `startTimeoutMs`; the process is killed in either case.
 */
export async function startWorkerd(options) {
  let lastError = null;
  // a free port can be taken between our probe and workerd's bind: try again with another
  for (let attempt = 0; attempt < 3; attempt++) {
    const dir = mkdtempSync(join(tmpdir(), "wasyncio-workerd-"));
    try {
      const port = await freePort();
      const config = writeConfig(dir, { ...options, port });
      return await serveConfig(config, { port, startTimeoutMs: options.startTimeoutMs, cleanup: dir });
    } catch (err) {
      rmSync(dir, { recursive: true, force: true });
      lastError = err;
      if (!/Address already in use/.test(String(err?.message))) throw err;
    }
  }
  throw lastError;
}

/**
 * Run `workerd serve <configPath>` (a config you wrote, whose socket listens on 127.0.0.1:`port`)
 * until `stop()`; resolves once workerd answers HTTP there. `cleanup`: a directory removed by
 * `stop()`. Same result and failures as startWorkerd.
 */
export async function serveConfig(configPath, { port, startTimeoutMs = 15_000, cleanup = null }) {
  if (!existsSync(WORKERD)) throw new Error(`startWorkerd: ${WORKERD} is missing: npm install (the workerd dev dependency) first`);
  let out = "";
  let exited = null;
  const child = spawn(WORKERD, ["serve", configPath], { cwd: dirname(configPath), stdio: ["ignore", "pipe", "pipe"] });
  child.stdout.setEncoding("utf8").on("data", (s) => (out += s));
  child.stderr.setEncoding("utf8").on("data", (s) => (out += s));
  const gone = new Promise((ok) => {
    child.once("exit", (code, signal) => {
      exited = { code, signal };
      ok();
    });
    child.once("error", (err) => {
      out += `\nspawn failed: ${err.message}`;
      exited = { code: null, signal: null };
      ok();
    });
  });
  const stop = async () => {
    if (exited === null) {
      try {
        process.kill(child.pid, "SIGTERM");
      } catch {
        // already gone
      }
      // workerd waits for the requests in flight on SIGTERM
      const timer = setTimeout(() => {
        try {
          process.kill(child.pid, "SIGKILL");
        } catch {
          // already gone
        }
      }, 2000);
      await gone;
      clearTimeout(timer);
    }
    if (cleanup !== null) rmSync(cleanup, { recursive: true, force: true });
  };
  try {
    const deadline = Date.now() + startTimeoutMs;
    for (;;) {
      if (exited !== null) throw new Error(`workerd exited (code ${exited.code}, signal ${exited.signal}) before answering:\n${out}`);
      if (await answers(port)) break;
      if (Date.now() > deadline) throw new Error(`workerd did not answer on 127.0.0.1:${port} within ${startTimeoutMs} ms:\n${out}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { url: `http://127.0.0.1:${port}`, port, pid: child.pid, stop, output: () => out };
}

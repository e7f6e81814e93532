// The runtime matrix: the same programs (test/matrix/programs/, see programs.ts) in every runtime
// wasyncio supports, against the package as users get it — packed once (npm pack, the user's npm)
// and installed into a temporary project:
//
//   node-esm   node matrix/main.mjs            import "wasyncio" (package.json "exports")
//   node-cjs   node matrix/main.cjs            require("wasyncio")
//   deno       deno run <narrow --allow flags> matrix/main.mjs   "wasyncio" from the project's
//              node_modules, through the exports map as Deno resolves it
//   bun        bun matrix/main.mjs
//   chromium   headless Chromium (test/hosts/chromium.mjs), the installed dist/ served, "wasyncio"
//              mapped to the entry the exports map gives browsers
//   workerd    node_modules/.bin/workerd (test/hosts/workerd.mjs): wasyncio/manual (the entry
//              the exports map gives workerd), the programs' imports of "wasyncio" reading
//              "wasyncio/manual", and the worker calling initCore with the precompiled core.wasm
//              module before its first request; one request per program
//
// Breadth, not depth (test/hosts/ has the depth): each runtime must print the same results,
// check by check, as node-esm, and each check must hold (its expected value). A check that needs
// a feature the runtime lacks must instead be a NotImplementedError raised at the call, naming
// the host. A runtime that cannot start fails its test, saying why.

import { spawn } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { dirname, join, posix } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { childEnv, packAndInstall } from "../packaging/npm.ts";
import { writeMatrix, type MatrixFiles } from "./programs.ts";
// @ts-ignore: plain JavaScript harnesses (reused outside vitest), without types
import { runInChromium, startServer as startWebServer } from "../hosts/chromium.mjs";
// @ts-ignore: plain JavaScript harnesses (reused outside vitest), without types
import { startWorkerd } from "../hosts/workerd.mjs";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const BIN = join(ROOT, "node_modules", ".bin");
const built = existsSync(join(ROOT, "dist", "index.mjs"));

type Feature = "tcp" | "tcpServer" | "unix" | "udp" | "subprocess" | "signals" | "workers" | "websocket";

interface Runtime {
  id: string;
  /** The host name the library reports there (NotImplementedError messages name it). */
  host: string;
  /** What the runtime lacks, and why (the reason is for the table). */
  lacks: Partial<Record<Feature, string>>;
}

const nodeLacks: Runtime["lacks"] = typeof (globalThis as { WebSocket?: unknown }).WebSocket === "function" ? {} : { websocket: `Node ${process.version} has no global WebSocket` };
const RUNTIMES: Runtime[] = [
  { id: "node-esm", host: "node", lacks: nodeLacks },
  { id: "node-cjs", host: "node", lacks: nodeLacks },
  // UDP on Deno needs --unstable-net; the matrix runs Deno without it, so it must say so
  { id: "deno", host: "deno", lacks: { udp: "no --unstable-net" } },
  { id: "bun", host: "bun", lacks: {} },
  {
    id: "chromium",
    host: "browser",
    lacks: { tcp: "no raw sockets", tcpServer: "no raw sockets", unix: "no raw sockets", udp: "no raw sockets", subprocess: "no processes", signals: "no signals" },
  },
  {
    id: "workerd",
    host: "workerd",
    lacks: {
      tcpServer: "no listening sockets",
      unix: "no Unix sockets",
      udp: "no UDP",
      subprocess: "no processes",
      signals: "no signals",
      workers: "no workers",
      websocket: "no WebSocket driver",
    },
  },
];

interface Record_ {
  p: string;
  start?: true;
  end?: true;
  error?: string;
  c?: string;
  v?: unknown;
  e?: unknown;
  f?: Feature | null;
}

interface Outcome {
  records: Record_[];
  /** Everything the runtime printed, for failure messages. */
  transcript: string;
}

let work = "";
let project = "";
let files: MatrixFiles;
let env: { echoPort: number; closedPort: number; wsUrl: string };
let echo: Server | null = null;
const echoSockets = new Set<Socket>();
let web: { url: string; wsUrl: string; close(): Promise<void> } | null = null;
const outcomes = new Map<string, Promise<Outcome>>();
const table = new Map<string, Map<string, string>>(); // runtime → program → ok / fail: why

// ---- the installed package ----------------------------------------------------------------

/** Resolve `subpath` of the installed package's "exports" under `conditions` (Node's algorithm, for the forms package.json uses). */
function resolveExport(subpath: string, conditions: string[]): string {
  const pkg = JSON.parse(readFileSync(join(project, "node_modules", "wasyncio", "package.json"), "utf8"));
  const pick = (target: unknown): string | null => {
    if (typeof target === "string") return target;
    if (Array.isArray(target)) return target.map(pick).find((t) => t !== null) ?? null;
    if (target !== null && typeof target === "object") {
      for (const [key, value] of Object.entries(target)) {
        if (key === "default" || conditions.includes(key)) {
          const found = pick(value);
          if (found !== null) return found;
        }
      }
    }
    return null;
  };
  const found = pick(pkg.exports?.[subpath]);
  if (found === null) throw new Error(`the installed package exports nothing at '${subpath}' for ${conditions.join(", ")}`);
  return join(project, "node_modules", "wasyncio", found);
}

/** The ES modules `entry` loads (itself and every relative import, recursively), with their paths relative to `base`. */
function moduleGraph(entry: string, base: string): string[] {
  const seen = new Set<string>();
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.shift()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const text = readFileSync(file, "utf8");
    for (const m of text.matchAll(/^(?:import|export)\b[^;]*?\bfrom\s*["'](\.\.?\/[^"']+)["']|^import\s*["'](\.\.?\/[^"']+)["']/gm)) {
      queue.push(join(dirname(file), m[1] ?? m[2]));
    }
  }
  return [...seen].map((f) => posix.relative(base, f));
}

// ---- running a runtime --------------------------------------------------------------------

/** Run a child in the project; it is killed (by PID) if it outlives `timeoutMs`. */
async function runChild(cmd: string, args: string[], timeoutMs = 90_000): Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }> {
  if (!existsSync(cmd) && cmd.includes("/")) throw new Error(`${cmd} is missing: npm install (it is a dev dependency)`);
  const child = spawn(cmd, args, {
    cwd: project,
    env: { ...childEnv(), NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1", WASYNCIO_DEBUG: undefined },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (s: string) => (stdout += s));
  child.stderr.setEncoding("utf8").on("data", (s: string) => (stderr += s));
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await new Promise((resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`${cmd} ${args.join(" ")} did not finish within ${timeoutMs} ms\n--- stdout\n${stdout}\n--- stderr\n${stderr}`)), timeoutMs);
      child.on("error", (err) => reject(new Error(`could not start ${cmd}: ${err.message}`)));
      child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
    });
  } finally {
    clearTimeout(timer);
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(child.pid, "SIGKILL");
      } catch {
        // it exited meanwhile
      }
    }
  }
}

/** Parse printed records: every line must be one. */
function parseRecords(text: string, where: string): Record_[] {
  return text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => {
      try {
        return JSON.parse(line) as Record_;
      } catch {
        throw new Error(`${where} printed a line that is not a record: ${line}\n--- everything\n${text}`);
      }
    });
}

async function processRuntime(id: string, cmd: string, args: string[]): Promise<Outcome> {
  const ran = await runChild(cmd, args);
  const transcript = `$ ${posix.basename(cmd)} ${args.join(" ")}\nexit ${ran.code ?? ran.signal}\n--- stdout\n${ran.stdout}\n--- stderr\n${ran.stderr}`;
  if (ran.code !== 0) throw new Error(`${id} exited with ${ran.code ?? ran.signal}\n${transcript}`);
  return { records: parseRecords(ran.stdout, id), transcript };
}

const RUN: Record<string, () => Promise<Outcome>> = {
  "node-esm": () => processRuntime("node-esm", process.execPath, [files.mainEsm, JSON.stringify(env)]),
  "node-cjs": () => processRuntime("node-cjs", process.execPath, [files.mainCjs, JSON.stringify(env)]),
  // the narrowest permissions: loopback sockets, the two programs spawned, the worker's module
  deno: () =>
    processRuntime("deno", join(BIN, "deno"), [
      "run",
      "--no-prompt",
      "--allow-net=127.0.0.1",
      "--allow-run=cat,/bin/sh",
      `--allow-read=${join(files.esmDir, "_work.mjs")}`,
      files.mainEsm,
      JSON.stringify(env),
    ]),
  bun: () => processRuntime("bun", join(BIN, "bun"), [files.mainEsm, JSON.stringify(env)]),
  chromium: async () => {
    // the entry the exports map gives browsers, served where the harness's import map points
    const browserEntry = resolveExport(".", ["browser", "import"]);
    const dist = join(project, "node_modules", "wasyncio", "dist");
    const server = await startWebServer({
      files: { "/dist/": { path: dist }, "/dist/index.mjs": { path: browserEntry }, "/matrix/esm/": { path: files.esmDir } },
    });
    try {
      const { result, logs } = await runInChromium({ page: files.page({ ...env, wsUrl: server.wsUrl }), server, timeoutMs: 90_000 });
      return { records: result as Record_[], transcript: `chromium, wasyncio = ${posix.relative(project, browserEntry)}\n--- console\n${logs.join("\n")}` };
    } finally {
      await server.close();
    }
  },
  workerd: async () => {
    // wasyncio/manual as workerd gets it, with the precompiled core (the worker's main module
    // calls initCore before the first request); the programs import "wasyncio/manual" there
    const manual = resolveExport("./manual", ["workerd", "worker", "browser", "import"]);
    const core = resolveExport("./core.wasm", ["workerd", "worker", "browser", "import"]);
    const [first, ...chunks] = moduleGraph(manual, dirname(manual));
    const forWorkerd = (file: string) => readFileSync(file, "utf8").replace(/(^import\s*\{[^}]*\}\s*from\s*)"wasyncio";/gm, '$1"wasyncio/manual";');
    const modules = [
      { name: "main.mjs", text: `import core from "wasyncio/core.wasm";\nimport { initCore } from "wasyncio/manual";\nawait initCore(core);\n${files.worker}` },
      ...[...files.names, "_lib"].map((n) => ({ name: `${n}.mjs`, text: forWorkerd(join(files.esmDir, `${n}.mjs`)) })),
      // the entry under its specifier, the modules it imports under "wasyncio/<path from the
      // entry's folder>": where workerd resolves their relative imports from "wasyncio/manual"
      { name: "wasyncio/manual", path: join(dirname(manual), first), type: "esModule" },
      ...chunks.map((c) => ({ name: `wasyncio/${c}`, path: join(dirname(manual), c) })),
      { name: "wasyncio/core.wasm", path: core, type: "wasm" },
    ];
    const wd = await startWorkerd({ modules, network: { allow: ["local"] } });
    const text: string[] = [];
    try {
      for (const p of files.names) {
        const res = await fetch(`${wd.url}/run?p=${encodeURIComponent(p)}&env=${encodeURIComponent(JSON.stringify(env))}`, { signal: AbortSignal.timeout(30_000) });
        const body = await res.text();
        if (res.status !== 200) throw new Error(`workerd: ${p}: HTTP ${res.status}\n${body}`);
        text.push(body);
      }
    } catch (err) {
      throw new Error(`${(err as Error).message}\n--- workerd so far\n${wd.output()}`);
    } finally {
      await wd.stop();
    }
    const all = text.join("");
    return { records: parseRecords(all, "workerd"), transcript: `workerd\n--- records\n${all}\n--- workerd\n${wd.output()}` };
  },
};

// ---- checking -----------------------------------------------------------------------------

const json = (v: unknown) => JSON.stringify(v);

/** Group records by program: its checks, whether it ended, its error. */
function byProgram(records: Record_[]) {
  const programs = new Map<string, { started: boolean; ended: boolean; error: string | null; checks: Record_[] }>();
  for (const r of records) {
    let entry = programs.get(r.p);
    if (entry === undefined) programs.set(r.p, (entry = { started: false, ended: false, error: null, checks: [] }));
    if (r.start) entry.started = true;
    else if (r.end) entry.ended = true;
    else if (r.error !== undefined) entry.error = r.error;
    else entry.checks.push(r);
  }
  return programs;
}

/**
 * What is wrong with `runtime`'s records, per program (an empty list: fine). `reference` is
 * node-esm's (null when checking node-esm itself).
 */
function problems(runtime: Runtime, records: Record_[], reference: Record_[] | null): Map<string, string[]> {
  const mine = byProgram(records);
  const theirs = reference === null ? null : byProgram(reference);
  const out = new Map<string, string[]>();
  for (const p of files.names) {
    const list: string[] = [];
    out.set(p, list);
    const got = mine.get(p);
    if (got === undefined || !got.started) {
      list.push("did not run");
      continue;
    }
    if (got.error !== null) list.push(`threw ${got.error.split("\n")[0]}`);
    else if (!got.ended) list.push("did not finish");
    const ref = theirs?.get(p);
    if (ref !== undefined && json(got.checks.map((c) => c.c)) !== json(ref.checks.map((c) => c.c))) {
      list.push(`ran checks ${json(got.checks.map((c) => c.c))}, node-esm ran ${json(ref.checks.map((c) => c.c))}`);
    }
    for (const check of got.checks) {
      const feature = check.f ?? null;
      const v = check.v as { error?: string; at?: string; message?: string } | undefined;
      if (feature !== null && runtime.lacks[feature] !== undefined) {
        const named = typeof v?.message === "string" && v.message.includes(`not available on ${runtime.host}`);
        if (v?.error !== "NotImplementedError" || v.at !== "call" || !named) {
          list.push(`'${check.c}' needs ${feature}, which ${runtime.id} lacks: expected NotImplementedError at the call naming ${runtime.host}, got ${json(v)}`);
        }
        continue;
      }
      if (json(check.v) !== json(check.e)) list.push(`'${check.c}': got ${json(check.v)}, expected ${json(check.e)}`);
      const same = ref?.checks.find((c) => c.c === check.c);
      const refRuntime = RUNTIMES[0];
      if (same !== undefined && !(feature !== null && refRuntime.lacks[feature] !== undefined) && json(check.v) !== json(same.v)) {
        list.push(`'${check.c}': got ${json(check.v)}, node-esm printed ${json(same.v)}`);
      }
    }
  }
  return out;
}

function summarize(runtime: Runtime, found: Map<string, string[]> | null, failure: string | null) {
  const row = new Map<string, string>();
  for (const p of files.names) {
    if (failure !== null) row.set(p, `fail: ${failure.split("\n")[0]}`);
    else {
      const list = found!.get(p) ?? [];
      if (list.length > 0) row.set(p, `fail: ${list[0]}`);
      else {
        const lacking = byProgramFeatures(p, runtime);
        row.set(p, lacking.length > 0 ? `ok (NotImplementedError: ${lacking.join(", ")})` : "ok");
      }
    }
  }
  table.set(runtime.id, row);
}

const featuresSeen = new Map<string, Set<Feature>>(); // program → features its checks need
function byProgramFeatures(p: string, runtime: Runtime): string[] {
  return [...(featuresSeen.get(p) ?? [])].filter((f) => runtime.lacks[f] !== undefined);
}

// ---- the suite ----------------------------------------------------------------------------

describe.runIf(built)("the runtime matrix: the same programs in Node (ESM, CJS), Deno, Bun, Chromium and workerd", () => {
  beforeAll(async () => {
    ({ work, project } = packAndInstall("wasyncio-matrix-"));
    files = writeMatrix(project);
    // the TCP echo server (answers EOF with "bye" and its own EOF), a port nobody listens on,
    // and the WebSocket server of the Chromium harness (for every host that has WebSocket)
    echo = createServer({ allowHalfOpen: true }, (c) => {
      echoSockets.add(c);
      c.on("close", () => echoSockets.delete(c));
      c.on("data", (d) => c.write(d));
      c.on("end", () => c.end("bye"));
      c.on("error", () => {});
    });
    await new Promise<void>((ok, fail) => {
      echo!.once("error", fail);
      echo!.listen(0, "127.0.0.1", () => ok());
    });
    const probe = createServer();
    await new Promise<void>((ok) => probe.listen(0, "127.0.0.1", () => ok()));
    const closedPort = (probe.address() as { port: number }).port;
    await new Promise((ok) => probe.close(ok));
    web = await startWebServer();
    env = { echoPort: (echo.address() as { port: number }).port, closedPort, wsUrl: web!.wsUrl };
    // every runtime at once (each its own process); each test below waits for its own
    for (const r of RUNTIMES) {
      const started = RUN[r.id]();
      started.catch(() => {}); // awaited by its test
      outcomes.set(r.id, started);
    }
  }, 200_000);

  afterAll(async () => {
    await Promise.allSettled([...outcomes.values()]);
    for (const s of echoSockets) s.destroy();
    if (echo) await new Promise((ok) => echo!.close(ok));
    if (web) await web.close();
    if (work) rmSync(work, { recursive: true, force: true });
    if (table.size > 0) {
      const ids = RUNTIMES.map((r) => r.id).filter((id) => table.has(id));
      const lines = [`| program | ${ids.join(" | ")} |`, `|---|${ids.map(() => "---").join("|")}|`];
      for (const p of files.names) lines.push(`| ${p} | ${ids.map((id) => table.get(id)!.get(p)).join(" | ")} |`);
      console.log(`runtime matrix:\n${lines.join("\n")}`);
    }
  });

  for (const runtime of RUNTIMES) {
    it(`${runtime.id}: every program prints node-esm's results; what ${runtime.host} lacks is NotImplementedError at the call`, async () => {
      let outcome: Outcome;
      try {
        outcome = await outcomes.get(runtime.id)!;
      } catch (err) {
        summarize(runtime, null, (err as Error).message);
        throw err;
      }
      for (const r of outcome.records) {
        if (r.c !== undefined && r.f) {
          if (!featuresSeen.has(r.p)) featuresSeen.set(r.p, new Set());
          featuresSeen.get(r.p)!.add(r.f);
        }
      }
      let reference: Record_[] | null = null;
      if (runtime.id !== "node-esm") {
        try {
          reference = (await outcomes.get("node-esm")!).records;
        } catch {
          throw new Error(`node-esm, the reference, did not run (see its test); ${runtime.id}'s own records:\n${outcome.transcript}`);
        }
      }
      const found = problems(runtime, outcome.records, reference);
      summarize(runtime, found, null);
      const failures = [...found].flatMap(([p, list]) => list.map((why) => `${p}: ${why}`));
      expect(failures, `${runtime.id}:\n${failures.join("\n")}\n\n${outcome.transcript}`).toEqual([]);
    }, 200_000);
  }
});

// `wasyncio explore FILE --seeds N`: run the scenario FILE exports under N schedules, report the
// failing seeds, write the first failure's tape, and print the commands that replay and shrink it.
// With --jobs K the seeds are split over K worker threads (each imports FILE itself); the
// determinism check then runs in the main thread.

import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads";
import { resolve } from "node:path";
import { writeFileSync } from "node:fs";
import { Recorder, Tape, explore, runSync, type ExploreFailure } from "../index.js";
import { exploreChunked } from "./chunked.js";
import {
  UsageError,
  errorLine,
  fmtInt,
  intOption,
  loadScenario,
  parse,
  relativeTo,
  sh,
  shown,
  stem,
  writeTapeFile,
  type Io,
} from "./common.js";

export const EXPLORE_USAGE = `usage: wasyncio explore FILE --seeds N [options]

Run the scenario FILE exports under N schedules (seeds 0 … N-1) and report the seeds that fail.
FILE is a module whose default export (or the export --export names, or its only exported
generator function) is a scenario: a generator function (function*) run by runSync once per seed.
A run fails when the scenario throws, or an error reaches the loop's exception handler.
The first failure's tape is written to --out, with the commands that replay and shrink it.

options:
  --seeds N          how many seeds to run (required)
  --schedule S       random (default): a uniform permutation of every batch; or pct
  --depth D          PCT's bug depth (default 3)
  --jobs K           worker threads (default 1)
  --export NAME      the export to run
  --core C           wasm (default) or js, the scheduler core
  --out DIR          where tapes go (default .wasyncio)
  --max-failures N   stop after N failing seeds
  --no-check         skip the determinism check (a seed run three more times, compared)
  -h, --help         this text

exit codes: 0 no seed failed, 1 seeds failed or a run did not replay, 2 bad usage`;

interface ExploreArgs {
  file: string;
  seeds: number;
  schedule: "random" | "pct";
  depth: number;
  jobs: number;
  exportName: string | undefined;
  core: "wasm" | "js";
  out: string;
  maxFailures: number;
  check: boolean;
}

function parseExploreArgs(args: string[]): ExploreArgs | null {
  const { values, positionals } = parse(args, {
    seeds: { type: "string" },
    schedule: { type: "string" },
    depth: { type: "string" },
    jobs: { type: "string" },
    export: { type: "string" },
    core: { type: "string" },
    out: { type: "string" },
    "max-failures": { type: "string" },
    check: { type: "boolean" },
  });
  if (values.help) return null;
  if (positionals.length === 0) throw new UsageError("FILE is required: the module that exports the scenario");
  if (positionals.length > 1) throw new UsageError(`one FILE only, got ${positionals.length}: ${positionals.join(" ")}`);
  const schedule = (values.schedule as string | undefined) ?? "random";
  if (schedule !== "random" && schedule !== "pct") throw new UsageError(`--schedule must be random or pct, got ${JSON.stringify(schedule)}`);
  const core = (values.core as string | undefined) ?? "wasm";
  if (core !== "wasm" && core !== "js") throw new UsageError(`--core must be wasm or js, got ${JSON.stringify(core)}`);
  return {
    file: positionals[0],
    seeds: intOption(values.seeds, "seeds", 1),
    schedule,
    depth: intOption(values.depth, "depth", 1, 3),
    jobs: intOption(values.jobs, "jobs", 1, 1),
    exportName: values.export as string | undefined,
    core,
    out: (values.out as string | undefined) ?? ".wasyncio",
    maxFailures: values["max-failures"] === undefined ? Infinity : intOption(values["max-failures"], "max-failures", 1),
    check: values.check !== false,
  };
}

/** Progress on stderr: a line rewritten in place on a terminal, a line every few seconds otherwise. */
class Progress {
  private readonly t0 = performance.now();
  private last = 0;
  constructor(
    private readonly io: Io,
    private readonly total: number,
  ) {}

  update(ran: number, failures: number): void {
    const now = performance.now();
    if (now - this.last < (this.io.isTTY ? 100 : 5000) && ran < this.total) return;
    this.last = now;
    const line = `explore: ${fmtInt(ran)}/${fmtInt(this.total)} seeds, ${fmtInt(this.rate(ran))} seeds/s, ${fmtInt(failures)} failed`;
    if (this.io.isTTY) this.io.status(line);
    else if (ran < this.total) this.io.err(line);
  }

  rate(ran: number): number {
    const s = (performance.now() - this.t0) / 1000;
    return s > 0 ? ran / s : 0;
  }

  done(): void {
    if (this.io.isTTY) this.io.status("");
  }
}

/** A failure as it crosses from a worker: the error as data. */
interface WireFailure {
  seed: number;
  error: { name: string; message: string; stack?: string };
  choices: number[];
}

interface WorkerJob {
  role: "wasyncio-explore";
  path: string;
  exportName: string;
  seeds: number[];
  schedule: "random" | "pct";
  depth: number;
  core: "wasm" | "js";
  maxFailures: number;
}

/** In a worker thread: explore a share of the seeds and post the failures back. */
export async function exploreWorker(): Promise<void> {
  const job = workerData as WorkerJob;
  const port = parentPort!;
  const { scenario } = await loadScenario(job.path, job.exportName, "/");
  let lastPost = 0;
  const result = await exploreChunked(scenario as never, job.seeds, { schedule: job.schedule, pctDepth: job.depth, core: job.core, maxFailures: job.maxFailures }, (ran, failures) => {
    const now = performance.now();
    if (now - lastPost >= 50) {
      lastPost = now;
      port.postMessage({ type: "progress", ran, failures });
    }
  });
  const failures: WireFailure[] = result.failures.map((f) => ({
    seed: f.seed,
    error: f.error instanceof Error ? { name: f.error.name, message: f.error.message, stack: f.error.stack } : { name: typeof f.error, message: String(f.error) },
    choices: [...f.tape.choices],
  }));
  port.postMessage({ type: "done", ran: result.ran, failures });
}

/** True when this thread is one of explore's workers. */
export function isExploreWorker(): boolean {
  return !isMainThread && (workerData as WorkerJob | null)?.role === "wasyncio-explore";
}

/** A worker's failure, back as an error object with the worker's name and message. */
function fromWire(f: WireFailure, schedule: "random" | "pct"): ExploreFailure {
  const error = new Error(f.error.message);
  error.name = f.error.name;
  if (f.error.stack) error.stack = f.error.stack;
  return { seed: f.seed, schedule, error, tape: new Tape(f.choices) };
}

async function exploreInWorkers(a: ExploreArgs, path: string, exportName: string, workerUrl: URL, progress: Progress): Promise<{ ran: number; failures: ExploreFailure[] }> {
  const shares: number[][] = Array.from({ length: a.jobs }, () => []);
  for (let s = 0; s < a.seeds; s++) shares[s % a.jobs].push(s); // interleaved: the low seeds finish first everywhere
  const ranBy = new Array<number>(a.jobs).fill(0);
  const failedBy = new Array<number>(a.jobs).fill(0);
  const failures: ExploreFailure[] = [];
  const results = await Promise.all(
    shares.map(
      (seeds, w) =>
        new Promise<number>((resolveRan, reject) => {
          if (seeds.length === 0) return resolveRan(0);
          const job: WorkerJob = { role: "wasyncio-explore", path, exportName, seeds, schedule: a.schedule, depth: a.depth, core: a.core, maxFailures: a.maxFailures };
          const worker = new Worker(workerUrl, { workerData: job });
          let finished = false;
          worker.on("message", (msg: { type: string; ran: number; failures: number | WireFailure[] }) => {
            ranBy[w] = msg.ran;
            if (msg.type === "progress") failedBy[w] = msg.failures as number;
            else {
              finished = true;
              const list = msg.failures as WireFailure[];
              failedBy[w] = list.length;
              for (const f of list) failures.push(fromWire(f, a.schedule));
              resolveRan(msg.ran);
            }
            progress.update(ranBy.reduce((x, y) => x + y, 0), failedBy.reduce((x, y) => x + y, 0));
          });
          worker.on("error", (err) => reject(err));
          worker.on("exit", (code) => {
            if (!finished) reject(new Error(`explore worker ${w + 1} exited with code ${code} before it was done`));
          });
        }),
    ),
  );
  failures.sort((x, y) => x.seed - y.seed);
  return { ran: results.reduce((x, y) => x + y, 0), failures: failures.slice(0, a.maxFailures) };
}

/**
 * Record the failing seed's run (replaying its tape) as a trace beside the tape, naming the
 * scenario's module so `wasyncio replay TRACE` can load it.
 */
function writeTrace(scenario: () => Iterator<unknown>, failure: ExploreFailure, a: ExploreArgs, tracePath: string, modulePath: string, exportName: string): string {
  const rec = new Recorder({ scenario: { module: relativeTo(tracePath, modulePath), export: exportName } });
  try {
    runSync(scenario as never, { schedule: failure.tape, core: a.core, record: rec });
  } catch {
    // the failure itself: its trace is what we are after
  }
  writeFileSync(tracePath, rec.trace().toString());
  return tracePath;
}

/** The `explore` command. */
export async function exploreCommand(args: string[], io: Io): Promise<number> {
  const a = parseExploreArgs(args);
  if (a === null) {
    io.out(EXPLORE_USAGE);
    return 0;
  }
  const { scenario, name, path } = await loadScenario(a.file, a.exportName, io.cwd);
  const progress = new Progress(io, a.seeds);
  let ran: number;
  let failures: ExploreFailure[];
  let divergence: string | null = null;
  const t0 = performance.now();
  const options = { schedule: a.schedule, pctDepth: a.depth, core: a.core } as const;
  if (a.jobs > 1 && io.workerUrl !== null) {
    ({ ran, failures } = await exploreInWorkers(a, path, name, io.workerUrl, progress));
  } else {
    if (a.jobs > 1) io.err("explore: --jobs needs the built CLI (dist/cli.mjs); running in this thread");
    const seeds = Array.from({ length: a.seeds }, (_, k) => k);
    ({ ran, failures } = await exploreChunked(scenario as never, seeds, { ...options, maxFailures: a.maxFailures }, (n, f) => progress.update(n, f)));
  }
  const seconds = (performance.now() - t0) / 1000;
  progress.done();
  if (a.check) {
    // the first failure must replay from its tape (or, with none, seed 0 must run the same each time)
    const seed = failures.length > 0 ? failures[0].seed : 0;
    const check = explore(scenario as never, { seeds: [seed], ...options, checkDeterminism: true });
    if (check.divergence !== null) divergence = check.divergence.message;
    else if (failures.length > 0 && check.failures.length === 0) {
      divergence = `seed ${seed} failed in a worker thread but passes in the main thread: the scenario depends on something outside the loop (state of its module, the thread, Date.now(), Math.random())`;
    }
  }

  const rate = seconds > 0 ? ran / seconds : 0;
  io.out(
    `explore ${shown(path, io.cwd)}${name === "default" ? "" : ` (export ${name})`}: ${fmtInt(ran)} seeds under ${a.schedule}${a.schedule === "pct" ? ` (depth ${a.depth})` : ""}, ` +
      `${fmtInt(failures.length)} failed (${fmtInt(rate)} seeds/s${a.jobs > 1 ? `, ${a.jobs} threads` : ""})`,
  );
  if (failures.length > 0) {
    const first = failures[0];
    const list = failures.slice(0, 10).map((f) => f.seed).join(", ") + (failures.length > 10 ? ", …" : "");
    io.out(`first failing seed: ${first.seed}: ${errorLine(first.error)}`);
    io.out(`failing seeds: ${list}`);
    const tapePath = resolve(io.cwd, a.out, `${stem(path)}-${a.schedule}-seed${first.seed}.tape.json`);
    writeTapeFile(tapePath, first.tape, {
      module: relativeTo(tapePath, path),
      export: name,
      seed: first.seed,
      schedule: a.schedule,
      pctDepth: a.schedule === "pct" ? a.depth : undefined,
      core: a.core,
      error: errorLine(first.error),
    });
    io.out(`tape: ${shown(tapePath, io.cwd)} (${first.tape.choices.length} choices, ${first.tape.deviations()} off FIFO)`);
    try {
      const trace = writeTrace(scenario, first, a, tapePath.replace(/\.tape\.json$/, ".trace.jsonl"), path, name);
      io.out(`trace: ${shown(trace, io.cwd)} (replay it with no host: npx wasyncio replay ${sh(shown(trace, io.cwd))})`);
    } catch (exc) {
      io.err(`explore: could not record a trace of seed ${first.seed}: ${errorLine(exc)}`);
    }
    const cmd = `npx wasyncio shrink ${sh(shown(tapePath, io.cwd))} --module ${sh(shown(path, io.cwd))}${name === "default" ? "" : ` --export ${sh(name)}`}${a.core === "js" ? " --core js" : ""}`;
    io.out(`replay it: ${cmd} --explain`);
    io.out(`shrink it: ${cmd}`);
  }
  if (divergence !== null) io.out(`\nnot deterministic: ${divergence}`);
  return failures.length > 0 || divergence !== null ? 1 : 0;
}


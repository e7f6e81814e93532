// What the CLI's commands share: where output goes, loading a scenario from a module, and the
// tape files explore writes and shrink reads.
//
// The CLI is Node-only (its own bundle, dist/cli.mjs), so it imports node: modules directly —
// unlike the library, whose one bundle must also load in browsers. It reaches the library only
// through its public entry: the build maps every import of it to the package itself
// ('wasyncio'), so a scenario that imports 'wasyncio' and the CLI that runs it share one
// instance (one running loop, one Task class).

import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, dirname, extname, isAbsolute, relative, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { Tape, Trace, type TraceHeader } from "../index.js";

/** Where a command writes, and what it knows of its terminal. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** Overwrite the current stderr line (progress); only called when `isTTY`. */
  status(text: string): void;
  isTTY: boolean;
  cwd: string;
  /** The module that runs explore workers (dist/cli.mjs), or null when there is none (the TS sources). */
  workerUrl: URL | null;
}

/** The process's own terminal. */
export function processIo(workerUrl: URL | null = null): Io {
  return {
    out: (text) => process.stdout.write(text + "\n"),
    err: (text) => process.stderr.write(text + "\n"),
    status: (text) => process.stderr.write(`\r\x1b[K${text}`),
    isTTY: process.stderr.isTTY === true,
    cwd: process.cwd(),
    workerUrl,
  };
}

/** A usage error: printed with the command's usage, exit code 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

type OptionSpec = Record<string, { type: "string" | "boolean"; short?: string; default?: string | boolean }>;

/** node:util's parseArgs, its errors as UsageErrors. */
export function parse(args: string[], options: OptionSpec): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({ args, options: { help: { type: "boolean", short: "h" }, ...options }, allowPositionals: true, allowNegative: true, strict: true });
    return { values: values as Record<string, string | boolean | undefined>, positionals };
  } catch (exc) {
    throw new UsageError((exc as Error).message);
  }
}

/** A whole number option: `--seeds 1000`. */
export function intOption(value: string | boolean | undefined, name: string, min: number, fallback?: number): number {
  if (value === undefined) {
    if (fallback === undefined) throw new UsageError(`--${name} is required`);
    return fallback;
  }
  const n = typeof value === "string" && /^\d+$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < min) throw new UsageError(`--${name} must be a whole number ≥ ${min}, got ${JSON.stringify(value)}`);
  return n;
}

const isGeneratorFunction = (fn: unknown): boolean =>
  typeof fn === "function" && Object.prototype.toString.call(fn) === "[object GeneratorFunction]";

/** The scenario a module exports: the one named, the default, or its only generator function. */
export async function loadScenario(file: string, exportName: string | undefined, cwd: string): Promise<{ scenario: () => Iterator<unknown>; name: string; path: string }> {
  const path = resolve(cwd, file);
  if (!existsSync(path)) throw new UsageError(`${file}: no such file`);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (exc) {
    throw new UsageError(`${file} could not be imported: ${exc instanceof Error ? `${exc.name}: ${exc.message}` : String(exc)}`);
  }
  const names = Object.keys(mod).filter((k) => k !== "default" && k !== "__esModule");
  if (exportName !== undefined) {
    const value = exportName === "default" ? mod.default : mod[exportName];
    if (typeof value !== "function") {
      const runnable = names.filter((k) => typeof mod[k] === "function");
      throw new UsageError(
        `${file} has no export '${exportName}' that is a function${runnable.length ? ` (its functions: ${runnable.join(", ")})` : ""}`,
      );
    }
    return { scenario: value as () => Iterator<unknown>, name: exportName, path };
  }
  if (typeof mod.default === "function") return { scenario: mod.default as () => Iterator<unknown>, name: "default", path };
  const generators = names.filter((k) => isGeneratorFunction(mod[k]));
  if (generators.length === 1) return { scenario: mod[generators[0]] as () => Iterator<unknown>, name: generators[0], path };
  if (generators.length > 1) {
    throw new UsageError(`${file} exports several scenarios (${generators.join(", ")}): choose one with --export NAME`);
  }
  throw new UsageError(
    `${file} exports nothing runnable: export a generator function, e.g. \`export default function* scenario() { … }\`${names.length ? ` (its exports: ${names.join(", ")})` : ""}`,
  );
}

/** What explore writes beside the choices, so that shrink can find the scenario again. */
export interface TapeFile {
  version: number;
  choices: readonly number[];
  /** The module, relative to the tape file's folder. */
  module?: string;
  export?: string;
  seed?: number;
  schedule?: string;
  pctDepth?: number;
  core?: string;
  /** The error the run ended with: `Name: message`. */
  error?: string;
  /** The tape this one was shrunk from (a path relative to this one's folder). */
  shrunkFrom?: string;
}

/** Write a tape file (its folder made if needed); returns its path. */
export function writeTapeFile(path: string, tape: Tape, meta: Omit<TapeFile, "version" | "choices">): string {
  mkdirSync(dirname(path), { recursive: true });
  const body: TapeFile = { version: tape.version, choices: tape.choices, ...meta };
  writeFileSync(path, JSON.stringify(body, null, 2) + "\n");
  return path;
}

/**
 * Read a tape file — or a trace (`Recorder`'s JSON lines), whose header names the scenario and
 * its schedule: a tape's choices, or a seed to explore again (`tape` is then null).
 */
export function readTapeFile(file: string, cwd: string): { tape: Tape | null; meta: TapeFile; path: string } {
  const path = resolve(cwd, file);
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (exc) {
    throw new UsageError(`${file}: ${(exc as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (exc as Error).message}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    if (/^\s*\{[^\n]*"wasyncio"\s*:\s*"trace"/.test(text)) return readTrace(text, file, path);
    throw new UsageError(`${file} is not a tape file (JSON with { version, choices }) or a trace: it does not parse as JSON`);
  }
  try {
    return { tape: Tape.from(data), meta: data as TapeFile, path };
  } catch (exc) {
    throw new UsageError(`${file} is not a tape file: ${(exc as Error).message}`);
  }
}

function readTrace(text: string, file: string, path: string): { tape: Tape | null; meta: TapeFile; path: string } {
  let header: TraceHeader;
  try {
    header = Trace.parse(text).header;
  } catch (exc) {
    throw new UsageError(`${file} is not a readable trace: ${(exc as Error).message}`);
  }
  const meta: TapeFile = { version: 1, choices: [], core: header.core, pctDepth: header.pctDepth };
  if (header.scenario !== null) {
    meta.module = header.scenario.module;
    meta.export = header.scenario.export;
  }
  const schedule = header.schedule;
  if (Array.isArray(schedule)) return { tape: new Tape(schedule), meta: { ...meta, choices: schedule }, path };
  if (schedule === "fifo") return { tape: new Tape([]), meta, path };
  if (header.seed === null) {
    throw new UsageError(`${file} was recorded under the ${schedule} schedule with a seed from the host: give the run a seed (or a tape) to shrink it`);
  }
  return { tape: null, meta: { ...meta, seed: header.seed, schedule }, path };
}

/** `path` relative to `from`'s folder (for the module a tape file names). */
export function relativeTo(fromFile: string, path: string): string {
  const r = relative(dirname(fromFile), path);
  return r === "" ? "." : r.split("\\").join("/");
}

/** A path as the user would type it from `cwd`. */
export function shown(path: string, cwd: string): string {
  const r = relative(cwd, path);
  return r !== "" && !r.startsWith("..") && !isAbsolute(r) ? r.split("\\").join("/") : path;
}

/** Quote an argument for a shell command line, when it needs it. */
export function sh(arg: string): string {
  return /^[\w./@:=+-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** `examples/bank/bank.mjs` → `bank`. */
export function stem(file: string): string {
  return basename(file, extname(file));
}

/** `Name: message` of an error (or what was thrown). */
export function errorLine(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  if (error !== null && typeof error === "object" && "message" in error) {
    const e = error as { name?: unknown; message?: unknown };
    return `${String(e.name ?? "Error")}: ${String(e.message)}`;
  }
  return String(error);
}

/** `1,234`. */
export function fmtInt(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

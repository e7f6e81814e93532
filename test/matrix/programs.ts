// The runtime matrix's programs (test/matrix/programs/*.mjs, plus the SPEC example and
// examples/producer-consumer.mjs made into programs), written into a consumer project in the
// forms each runtime loads: ES modules for Node, Deno, Bun, Chromium and workerd, a require()
// variant of each for Node's CommonJS, and the entry each runtime starts (main.mjs, main.cjs,
// a page, a worker).
//
// A program is an ES module whose default export is `async function main(t)`: `t.env` holds the
// addresses of the test's servers ({ echoPort, closedPort, wsUrl }), and `t.check(name, actual,
// expected, feature?)` records one check. `feature` names the host feature the check needs
// ("tcp", "tcpServer", "unix", "udp", "subprocess", "signals", "workers", "websocket"): a
// runtime without it must report a NotImplementedError raised at the call, naming the host.
// The entries print one JSON line per record: `{p, start}`, `{p, c, v, e, f}` per check, then
// `{p, end}` or `{p, error}`. Programs import only "wasyncio" and their helpers ("./_lib.mjs");
// files whose name starts with "_" are helpers, not programs.

import { copyFileSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { README_ESM, README_OUTPUT } from "../packaging/programs.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const SOURCES = join(ROOT, "test", "matrix", "programs");

/** What CPython 3.13 prints for examples/producer-consumer.mjs (as test/sync/example.test.ts). */
const PRODUCER_CONSUMER = [
  "[t=0.00] put job-1",
  "[t=0.00] put job-2",
  "[t=0.00] producer waits: queue full (2/2)",
  "[t=0.00] alice starts job-1 (0.5s)",
  "[t=0.00] bob starts job-2 (0.2s)",
  "[t=0.00] put job-3",
  "[t=0.00] put job-4",
  "[t=0.00] producer waits: queue full (2/2)",
  "[t=0.20] bob finished job-2",
  "[t=0.20] bob starts job-3 (0.4s)",
  "[t=0.20] put job-5",
  "[t=0.20] producer waits: queue full (2/2)",
  "[t=0.50] alice finished job-1",
  "[t=0.50] alice starts job-4 (0.15s)",
  "[t=0.50] put job-6",
  "[t=0.50] producer: all jobs queued",
  "[t=0.60] bob finished job-3",
  "[t=0.60] bob starts job-5 (0.3s)",
  "[t=0.65] alice finished job-4",
  "[t=0.65] alice starts job-6 (0.2s)",
  "[t=0.85] alice finished job-6",
  "[t=0.90] bob finished job-5",
  "[t=0.90] all jobs done",
  "[t=0.90] alice stops: the queue is shut down",
  "[t=0.90] bob stops: the queue is shut down",
  "[t=0.90] bye",
];

/**
 * A top-level script that imports from "wasyncio" and prints with console.log (an example, as a
 * user runs it) as a program: its body runs inside `main`, its console.log lines are collected
 * and checked as one transcript.
 */
function scriptAsProgram(source: string, expected: string[], origin: string): string {
  const imports: string[] = [];
  const body = source.replace(/^import\s*\{[^}]*\}\s*from\s*"wasyncio";[ \t]*\n?/gm, (statement) => {
    imports.push(statement.trim());
    return "";
  });
  const left = /^\s*(import|export)\b.*$/m.exec(body);
  if (left) throw new Error(`${origin}: module syntax the matrix cannot wrap: ${left[0]}`);
  return `// ${origin}, made into a matrix program by test/matrix/programs.ts: its console.log lines are
// one check ("transcript").
${imports.join("\n")}

export default async function main(t) {
  const lines = [];
  const console = { log: (...parts) => lines.push(parts.join(" ")) };
${body.trim()}
  t.check("transcript", lines, ${JSON.stringify(expected)});
}
`;
}

/**
 * The require() variant of a program or helper: `import { a, b } from "x"` becomes
 * `const { a, b } = require("x")` (a helper "./y.mjs" its variant "./y.cjs"), the default export
 * `module.exports`, named exports properties of it, and import.meta.url the file's URL. Any other
 * module syntax is refused, so a program the transform would get wrong fails loudly.
 */
export function toCommonJs(source: string, origin: string): string {
  const named: string[] = [];
  let out = source.replace(/^import\s*\{([^}]*)\}\s*from\s*"([^"]+)";/gm, (_m, names: string, from: string) => {
    const bindings = names
      .split(",")
      .map((n) => n.trim())
      .filter(Boolean)
      .map((n) => n.replace(/^(\w+)\s+as\s+(\w+)$/, "$1: $2"));
    const target = from.startsWith(".") ? from.replace(/\.mjs$/, ".cjs") : from;
    return `const { ${bindings.join(", ")} } = require(${JSON.stringify(target)});`;
  });
  out = out.replace(/^export default /m, "module.exports = ");
  out = out.replace(/^export (function\*?|const|let|class) (\w+)/gm, (_m, kind: string, name: string) => {
    named.push(name);
    return `${kind} ${name}`;
  });
  out = out.replaceAll("import.meta.url", 'require("node:url").pathToFileURL(__filename).href');
  const left = /^\s*(import|export)\b.*$/m.exec(out);
  if (left) throw new Error(`${origin}: module syntax the CommonJS variant cannot express: ${left[0]}`);
  if (!/^module\.exports = /m.test(out)) out += "\nmodule.exports = {};\n";
  if (named.length > 0) out += `\nObject.assign(module.exports, { ${named.join(", ")} });\n`;
  return `"use strict";\n${out}`;
}

/** The matrix's programs, by name, in the order every runtime runs them. */
export function programSources(): { name: string; source: string }[] {
  const files = readdirSync(SOURCES)
    .filter((f) => f.endsWith(".mjs") && !f.startsWith("_"))
    .sort();
  return [
    ...files.map((f) => ({ name: f.slice(0, -4), source: readFileSync(join(SOURCES, f), "utf8") })),
    { name: "spec-example", source: scriptAsProgram(README_ESM, README_OUTPUT, "SPEC.md's example (the README's, test/packaging/programs.ts)") },
    {
      name: "producer-consumer",
      source: scriptAsProgram(readFileSync(join(ROOT, "examples", "producer-consumer.mjs"), "utf8"), PRODUCER_CONSUMER, "examples/producer-consumer.mjs"),
    },
  ];
}

/** The helpers the programs import or name (files starting with "_"). */
function helperFiles(): string[] {
  return readdirSync(SOURCES)
    .filter((f) => f.endsWith(".mjs") && f.startsWith("_"))
    .sort();
}

/** How every entry runs the programs: `PROGRAMS` ([name, main] pairs), `env` and `print` given. */
const RUN_ALL = `for (const [p, main] of PROGRAMS) {
  print({ p, start: true });
  try {
    await main({ env, check: (c, v, e, f = null) => print({ p, c, v, e, f }) });
    print({ p, end: true });
  } catch (err) {
    print({ p, error: \`\${err?.name}: \${err?.message}\\n\${err?.stack ?? ""}\` });
  }
}`;

export interface MatrixFiles {
  /** Program names, in run order. */
  names: string[];
  /** matrix/main.mjs: Node (ESM), Deno and Bun; the env JSON is its first argument. */
  mainEsm: string;
  /** matrix/main.cjs: Node through require(). */
  mainCjs: string;
  /** matrix/esm: the ES module programs (served to Chromium at /matrix/esm/). */
  esmDir: string;
  /** The Chromium page (a module: imports the programs from /matrix/esm/, ends with done()). */
  page(env: object): string;
  /**
   * The workerd main module (runs the program named by ?p=, env from ?env=); the programs are
   * modules beside it (workerd resolves every specifier, bare ones too, from the importing
   * module's folder: "wasyncio/manual" is found from the top folder only).
   */
  worker: string;
}

/**
 * Write the programs into `project/matrix/` — esm/ (ES modules), cjs/ (require() variants, and
 * the helpers a worker thread loads by URL, which stay modules) — and the entries.
 */
export function writeMatrix(project: string): MatrixFiles {
  const dir = join(project, "matrix");
  const esmDir = join(dir, "esm");
  const cjsDir = join(dir, "cjs");
  mkdirSync(esmDir, { recursive: true });
  mkdirSync(cjsDir, { recursive: true });
  const programs = programSources();
  for (const { name, source } of programs) {
    writeFileSync(join(esmDir, `${name}.mjs`), source);
    writeFileSync(join(cjsDir, `${name}.cjs`), toCommonJs(source, name));
  }
  for (const file of helperFiles()) {
    copyFileSync(join(SOURCES, file), join(esmDir, file));
    copyFileSync(join(SOURCES, file), join(cjsDir, file));
    writeFileSync(join(cjsDir, file.replace(/\.mjs$/, ".cjs")), toCommonJs(readFileSync(join(SOURCES, file), "utf8"), file));
  }
  const names = programs.map((p) => p.name);
  const list = names.map((n, i) => `[${JSON.stringify(n)}, p${i}]`).join(", ");
  const esmImports = (prefix: string) => names.map((n, i) => `import p${i} from ${JSON.stringify(`${prefix}${n}.mjs`)};`).join("\n");

  const mainEsm = join(dir, "main.mjs");
  writeFileSync(
    mainEsm,
    `// Runs every matrix program (Node ESM, Deno, Bun). Argument: the env as JSON.
${esmImports("./esm/")}
const PROGRAMS = [${list}];
const env = JSON.parse((globalThis.Deno ? globalThis.Deno.args : process.argv.slice(2))[0]);
const print = (record) => console.log(JSON.stringify(record));
${RUN_ALL}
`,
  );
  const mainCjs = join(dir, "main.cjs");
  writeFileSync(
    mainCjs,
    `// Runs every matrix program through require() (Node CommonJS). Argument: the env as JSON.
"use strict";
${names.map((n, i) => `const p${i} = require(${JSON.stringify(`./cjs/${n}.cjs`)});`).join("\n")}
const PROGRAMS = [${list}];
const env = JSON.parse(process.argv[2]);
const print = (record) => console.log(JSON.stringify(record));
(async () => {
${RUN_ALL}
})().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
`,
  );
  const page = (env: object) => `// The matrix page: every program, then done(records).
${esmImports("/matrix/esm/")}
const PROGRAMS = [${list}];
const env = ${JSON.stringify(env)};
const records = [];
const print = (record) => {
  records.push(record);
  console.log(JSON.stringify(record));
};
${RUN_ALL}
done(records);
`;
  const worker = `// The matrix worker: GET /run?p=NAME&env=JSON runs one program; the body is its records.
${esmImports("./")}
const PROGRAMS = [${list}];

export default {
  async fetch(request) {
    const url = new URL(request.url);
    if (url.pathname !== "/run") return new Response("the matrix worker: GET /run?p=NAME&env=JSON");
    const env = JSON.parse(url.searchParams.get("env"));
    const lines = [];
    const print = (record) => lines.push(JSON.stringify(record));
    const one = PROGRAMS.filter(([p]) => p === url.searchParams.get("p"));
    if (one.length === 0) return new Response("no such program", { status: 404 });
    await (async (PROGRAMS) => {
${RUN_ALL.replace(/^/gm, "      ")}
    })(one);
    return new Response(lines.join("\\n") + "\\n");
  },
};
`;
  return { names, mainEsm, mainCjs, esmDir, page, worker };
}

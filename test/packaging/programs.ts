// Programs the packaging tests run in child processes, against dist/ (the package importing
// itself by name) and against the packed tarball installed into a temporary project.

/** The README's example, verbatim (ESM). */
export const README_ESM = `import { run, sleep, gather } from "wasyncio";

function* greet(name) {
  console.log(\`Hello, \${name}!\`);
  yield* sleep(1);
  console.log(\`Goodbye, \${name}!\`);
}

await run(function* main() {
  console.log("Starting wasyncio application...");
  yield* gather(greet("Alice"), greet("Bob"));
  console.log("wasyncio application finished.");
});
`;

/** The same example through require() (CommonJS cannot await at the top level). */
export const README_CJS = `const { run, sleep, gather } = require("wasyncio");

function* greet(name) {
  console.log(\`Hello, \${name}!\`);
  yield* sleep(1);
  console.log(\`Goodbye, \${name}!\`);
}

run(function* main() {
  console.log("Starting wasyncio application...");
  yield* gather(greet("Alice"), greet("Bob"));
  console.log("wasyncio application finished.");
}).catch((e) => { console.error(e); process.exitCode = 1; });
`;

/**
 * The README example through wasyncio/manual: the core is handed over as the bytes of
 * wasyncio/core.wasm (how = "bytes") or as a compiled WebAssembly.Module (how = "module").
 */
export const readmeManual = (how: "bytes" | "module") => `import { readFileSync } from "node:fs";
import { initCore, run, sleep, gather } from "wasyncio/manual";

const bytes = readFileSync(new URL(import.meta.resolve("wasyncio/core.wasm")));
await initCore(${how === "module" ? "new WebAssembly.Module(bytes)" : "bytes"});

function* greet(name) {
  console.log(\`Hello, \${name}!\`);
  yield* sleep(1);
  console.log(\`Goodbye, \${name}!\`);
}

await run(function* main() {
  console.log("Starting wasyncio application...");
  yield* gather(greet("Alice"), greet("Bob"));
  console.log("wasyncio application finished.");
});
`;

/** What every form of the README example prints. */
export const README_OUTPUT = [
  "Starting wasyncio application...",
  "Hello, Alice!",
  "Hello, Bob!",
  "Goodbye, Alice!",
  "Goodbye, Bob!",
  "wasyncio application finished.",
];

/**
 * An ESM program that imports wasyncio and also require()s it (createRequire): both must be one
 * instance — one Future class, and a loop started through one is the running loop of the other.
 * Prints one JSON object; every value is expected to be true (MIXED_EXPECTED).
 */
export const MIXED = `import * as esm from "wasyncio";
import { createRequire } from "node:module";

const cjs = createRequire(import.meta.url)("wasyncio");
const out = {};
const attempt = (name, fn) => {
  try {
    out[name] = fn();
  } catch (e) {
    out[name] = String(e);
  }
};
attempt("sameFuture", () => cjs.Future === esm.Future);
attempt("sameErrors", () => cjs.CancelledError === esm.CancelledError);
attempt("esmLoopRunsCjsSleep", () =>
  esm.runSync(function* () {
    yield* cjs.sleep(1);
    return cjs.getRunningLoop() === esm.getRunningLoop();
  }),
);
attempt("cjsLoopRunsEsmTask", () =>
  cjs.runSync(function* () {
    const task = esm.createTask(esm.sleep(1, "x"));
    return (yield* task) === "x" && task instanceof cjs.Task && cjs.currentTask() instanceof esm.Task;
  }),
);
attempt("futureInstanceof", () => {
  const loop = cjs.newEventLoop({ clock: "virtual" });
  try {
    return new esm.Future({ loop }) instanceof cjs.Future && esm.isFuture(new cjs.Future({ loop }));
  } finally {
    loop.close();
  }
});
try {
  out.asyncRun = await esm.run(function* () {
    yield* cjs.sleep(0.01);
    return cjs.currentTask() !== null;
  });
} catch (e) {
  out.asyncRun = String(e);
}
console.log(JSON.stringify(out));
`;

export const MIXED_EXPECTED = {
  sameFuture: true,
  sameErrors: true,
  esmLoopRunsCjsSleep: true,
  cjsLoopRunsEsmTask: true,
  futureInstanceof: true,
  asyncRun: true,
};

// The layers stay visible: runtime imports flow one way (core → io → loop/tasks → compose/sync →
// streams → runners/api), io/ never reaches into the loop, and the only cycles are type-only.

import { readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const walk = (d: string): string[] =>
  readdirSync(d).flatMap((f) => {
    const p = join(d, f);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith(".ts") ? [p] : [];
  });

/** file (relative to src/) → the files it imports at runtime (type-only imports left out) */
function runtimeImports(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of walk(join(root, "src"))) {
    const text = readFileSync(file, "utf8");
    const deps: string[] = [];
    for (const m of text.matchAll(/^(?:import|export)\s+(?!type\b)([^;]*?)\s*from\s+"(\.[^"]+)\.js"/gms)) {
      const clause = m[1];
      const braces = clause.match(/\{([^}]*)\}/);
      const outside = clause.replace(/\{[^}]*\}/, "").replace(/[\s,]/g, "");
      const allTypes = braces !== null && outside === "" && braces[1].split(",").map((x) => x.trim()).filter(Boolean).every((x) => x.startsWith("type "));
      if (!allTypes) deps.push(relative(join(root, "src"), resolve(dirname(file), m[2] + ".ts")));
    }
    graph.set(relative(join(root, "src"), file), deps);
  }
  return graph;
}

describe("layers", () => {
  const graph = runtimeImports();
  const layer = (file: string) => (file.includes("/") ? file.slice(0, file.indexOf("/")) : "top");

  it("has no runtime import cycle", () => {
    const state = new Map<string, 1 | 2>();
    const cycles: string[] = [];
    const visit = (f: string, path: string[]) => {
      if (state.get(f) === 2) return;
      if (state.get(f) === 1) {
        cycles.push([...path.slice(path.indexOf(f)), f].join(" → "));
        return;
      }
      state.set(f, 1);
      for (const d of graph.get(f) ?? []) visit(d, [...path, f]);
      state.set(f, 2);
    };
    for (const f of graph.keys()) visit(f, []);
    expect(cycles).toEqual([]);
  });

  it.each([
    ["core", ["core", "top"]],
    ["io", ["io", "core", "top"]],
    ["loop", ["loop", "io", "core", "tasks", "top"]],
    ["tasks", ["tasks", "loop", "io", "core", "top"]],
    ["compose", ["compose", "introspect", "tasks", "loop", "io", "core", "sync", "top"]],
    ["sync", ["sync", "tasks", "loop", "io", "core", "top"]],
    ["introspect", ["introspect", "compose", "tasks", "loop", "core", "top"]],
    ["streams", ["streams", "sync", "compose", "tasks", "loop", "io", "core", "top"]],
    ["sim", ["sim", "streams", "sync", "compose", "introspect", "tasks", "loop", "io", "core", "top"]],
  ])("%s/ imports at runtime only from %j (and errors.ts)", (from, allowed) => {
    const bad: string[] = [];
    for (const [file, deps] of graph) {
      if (layer(file) !== from) continue;
      for (const d of deps) {
        const l = layer(d);
        // top-level files are above every folder, except errors.ts (below all) and runners.ts,
        // which sim/ drives scenarios with (explore and record run main under runSync)
        if (l === "top" && d !== "errors.ts" && !(from === "sim" && d === "runners.ts")) bad.push(`${file} → ${d}`);
        else if (!allowed.includes(l)) bad.push(`${file} → ${d}`);
      }
    }
    expect(bad).toEqual([]);
  });
});

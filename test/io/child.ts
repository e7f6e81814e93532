// Child processes for the tests that need a process of their own (Ctrl+C, exit checks):
// src/ is bundled once per test file with esbuild into a temporary .mjs that a plain `node`
// child imports, so these tests run from the sources, built or not.

import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";

const root = fileURLToPath(new URL("../..", import.meta.url));

/** Bundle src/index.ts; returns its file URL and a function that removes it. */
export async function bundleWasyncio(): Promise<{ url: string; remove: () => void }> {
  const dir = mkdtempSync(join(tmpdir(), "wasyncio-child-"));
  const outfile = join(dir, "wasyncio.mjs");
  await build({
    entryPoints: [join(root, "src/index.ts")],
    bundle: true,
    format: "esm",
    platform: "node",
    target: "es2022",
    outfile,
    logLevel: "error",
  });
  return { url: pathToFileURL(outfile).href, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Run `source` (an ES module) in a child `node`; `onLine(line, child)` sees each stdout line as
 * it comes (to signal the child at the right moment). Killed after `timeoutMs`.
 */
export function runChild(
  source: string,
  options: { onLine?: (line: string, pid: number) => void; timeoutMs?: number } = {},
): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--input-type=module", "-e", source], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let pending = "";
    child.stdout.setEncoding("utf8");
    child.stderr.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      stdout += chunk;
      pending += chunk;
      let nl: number;
      while ((nl = pending.indexOf("\n")) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        options.onLine?.(line, child.pid!);
      }
    });
    child.stderr.on("data", (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`child timed out; stdout: ${stdout}; stderr: ${stderr}`));
    }, options.timeoutMs ?? 8000);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

// Shared by the Chromium suites: run a page fixture (test/hosts/fixtures/browser-pages/) in
// headless Chromium through the harness (chromium.mjs), against the built dist/.

import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
// @ts-ignore: the harness is plain JavaScript (it is reused outside vitest), without types
import { runInChromium } from "./chromium.mjs";

const FIXTURES = fileURLToPath(new URL("./fixtures/", import.meta.url));
const DIST = fileURLToPath(new URL("../../dist/index.mjs", import.meta.url));

/** One Chromium run, launch to close (about 2 s here), plus the page's own time. */
export const PAGE_TIMEOUT_MS = 60_000;

export interface PageRun<T> {
  logs: string[];
  result: T;
}

/** Run `browser-pages/<name>.mjs`; the worker modules of `browser-work/` are served at /work/. */
export async function runPage<T = Record<string, any>>(name: string): Promise<PageRun<T>> {
  if (!existsSync(DIST)) throw new Error(`${DIST} is missing: the browser tests load the built package (npm run build)`);
  const { logs, result } = await runInChromium({
    page: { path: `${FIXTURES}browser-pages/${name}.mjs` },
    files: { "/work/": { path: `${FIXTURES}browser-work` } },
    timeoutMs: PAGE_TIMEOUT_MS - 5_000,
  });
  return { logs, result: result as T };
}

// The published package as a user gets it, for the tests that need one (tarball.test.ts, the
// runtime matrix test/matrix/matrix.test.ts): `npm pack` the checkout with the user's npm and
// `npm install` the tarball into an empty temporary project. `npm test` builds dist/ first; the
// pack itself runs no scripts (`prepare` would rebuild dist/ under the other suites).

import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));

/**
 * A clean environment for the child npm and node: without what `npm run` adds for the checkout
 * (npm_config_local_prefix would point npm at the checkout; the npm 6 that runs nested scripts
 * exports its whole config as npm_config_*) and without the checkout's node_modules/.bin on PATH.
 * The tarball has no dependencies, so no registry setting is needed.
 */
export function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^npm_/i.test(key) || key === "INIT_CWD") continue;
    env[key] = value;
  }
  const path = Object.keys(env).find((k) => k.toUpperCase() === "PATH");
  if (path) env[path] = env[path]!.split(delimiter).filter((dir) => !isCheckoutDir(dir)).join(delimiter);
  return env;
}

/** A directory inside the checkout's node_modules (its .bin, or npm 6's node-gyp-bin). */
function isCheckoutDir(dir: string): boolean {
  return resolve(dir).startsWith(join(root, "node_modules"));
}

/**
 * The npm to pack and install with: the user's, not the npm 6 that a dev dependency
 * (@as-pect/cli → glob-promise → npm-install-peers) puts in node_modules/.bin, where nested
 * `npm run` calls of npm test find it. The npm running the tests if it is not that one, else the
 * first npm on PATH outside the checkout.
 */
function findNpm(): [string, string[]] {
  const running = process.env.npm_execpath;
  if (running && /npm-cli\.js$/.test(running) && !isCheckoutDir(running)) return [process.execPath, [running]];
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (dir === "" || isCheckoutDir(dir)) continue;
    for (const name of process.platform === "win32" ? ["npm.cmd"] : ["npm"]) {
      if (existsSync(join(dir, name))) return [join(dir, name), []];
    }
  }
  return ["npm", []];
}

export const [npmCmd, npmArgs] = findNpm();

/** Run the user's npm in `cwd`; returns its stdout (throws on a non-zero exit). */
export const npm = (args: string[], cwd: string, timeout: number): string =>
  execFileSync(npmCmd, [...npmArgs, ...args], { cwd, encoding: "utf8", env: childEnv(), stdio: "pipe", timeout });

export interface Installed {
  /** The temporary directory holding the tarball and the project (remove it when done). */
  work: string;
  /** The consumer project, with the package in node_modules/wasyncio. */
  project: string;
  /** What `npm pack --json` said about the tarball. */
  packed: { filename: string; files: { path: string }[] };
}

/**
 * Pack the checkout and install the tarball into a fresh project under a new temporary
 * directory (`prefix` names it). Install scripts are on, whatever the user's config says: a
 * lifecycle script that needs files not in the tarball must fail here, as it would for users.
 */
export function packAndInstall(prefix: string): Installed {
  const version = npm(["--version"], root, 30_000).trim();
  if (Number(version.split(".")[0]) < 7) throw new Error(`${npmCmd} ${npmArgs.join(" ")} is npm ${version}; need npm 7 or newer`);
  const work = mkdtempSync(join(tmpdir(), prefix));
  const project = join(work, "project");
  const packed = JSON.parse(npm(["pack", "--ignore-scripts", "--json", "--pack-destination", work], root, 60_000))[0];
  mkdirSync(project);
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "consumer", version: "1.0.0", private: true }));
  npm(["install", join(work, packed.filename), "--no-audit", "--no-fund", "--ignore-scripts=false", "--no-package-lock"], project, 150_000);
  return { work, project, packed };
}

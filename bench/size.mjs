// Sizes a user downloads, printed by `npm run bench` (and `node bench/size.mjs` alone): the
// packed tarball, the core, the ESM bundle minified and gzipped, and what a one-line consumer
// (`import { run, sleep, gather } from "wasyncio"`) bundles to — tree-shaking at work; both also
// as a browser bundler builds them (package.json's "browser" condition: one host's driver).
// Needs a built dist/ (npm run build). esbuild does the bundling, as a user's bundler would.

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const esbuild = path.join(root, 'node_modules', '.bin', 'esbuild');
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;

function bundle(entryText, dir, platform = 'neutral') {
  const entry = path.join(dir, 'entry.mjs');
  writeFileSync(entry, entryText);
  const out = path.join(dir, 'out.mjs');
  execFileSync(esbuild, [entry, '--bundle', '--minify', '--format=esm', '--target=es2022', `--outfile=${out}`, '--log-level=error',
    // neutral: the Node-only modules the drivers reach through process.getBuiltinModule are not
    // imported; browser: "wasyncio" resolves through package.json's exports as a browser bundler's
    `--platform=${platform}`], { cwd: root });
  const bytes = readFileSync(out);
  return { min: bytes.length, gz: gzipSync(bytes, { level: 9 }).length };
}

export function measureSizes() {
  const dir = mkdtempSync(path.join(tmpdir(), 'wasyncio-size-'));
  try {
    const dist = path.join(root, 'dist');
    const wasm = statSync(path.join(dist, 'core.wasm')).size;
    const full = bundle(`export * from ${JSON.stringify(path.join(dist, 'index.mjs'))};\n`, dir);
    const ONE = `import { run, sleep, gather } from "wasyncio";\nrun(function* () { yield* gather(sleep(0)); });\n`;
    const one = bundle(ONE.replace('"wasyncio"', JSON.stringify(path.join(dist, 'index.mjs'))), dir);
    // the same through the package, as a browser bundler resolves it (the "browser" condition):
    // node_modules/wasyncio in the temporary folder is a link to this checkout
    mkdirSync(path.join(dir, 'node_modules'));
    symlinkSync(root, path.join(dir, 'node_modules', 'wasyncio'), 'junction');
    const browserFull = bundle('export * from "wasyncio";\n', dir, 'browser');
    const browserOne = bundle(ONE, dir, 'browser');
    const packed = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8', env: { ...process.env, npm_config_loglevel: 'silent' } }))[0];
    return { wasm, full, one, browserFull, browserOne, packed: { size: packed.size, unpacked: packed.unpackedSize, files: packed.entryCount } };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function sizeTable(s) {
  return [
    '| what | size | target |',
    '|---|--:|--:|',
    `| core.wasm | ${s.wasm} B | ≤ 4096 B |`,
    `| ESM bundle, everything (minified / gzipped) | ${kb(s.full.min)} / ${kb(s.full.gz)} | ≤ 60 KB minified |`,
    `| one-line consumer: run, sleep, gather (minified / gzipped) | ${kb(s.one.min)} / ${kb(s.one.gz)} | smaller than everything |`,
    `| browser bundle (exports "browser": the browser driver only), everything | ${kb(s.browserFull.min)} / ${kb(s.browserFull.gz)} | — |`,
    `| browser bundle, one-line consumer | ${kb(s.browserOne.min)} / ${kb(s.browserOne.gz)} | no I/O used: ≤ 60 KB minified |`,
    `| npm tarball (packed / unpacked, files) | ${kb(s.packed.size)} / ${kb(s.packed.unpacked)}, ${s.packed.files} | — |`,
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(sizeTable(measureSizes()));
}

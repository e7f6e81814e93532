// Explore throughput: schedules tried per second on the racy bank withdrawal
// (examples/bank/bank.mjs), for wasyncio's `explore` under the random and PCT schedules (Wasm
// core and pure-TS core), beside fast-check's scheduler (`fc.scheduler()`, the property-based
// testing library's way to explore interleavings) on the same race written with promises.
//
// Each contender runs `--seeds` schedules per run; runs are interleaved over `--rounds` rounds
// (after one warm-up round) and the median seeds/s is shown, with how many of the schedules
// overdrew the account (the bug each one is there to find). wasyncio's determinism check is off
// (explore's own option), so both sides only explore; fast-check's property never fails, so it
// runs every schedule instead of stopping at the first failure and shrinking.
//
//   node bench/explore.mjs [--seeds=2000] [--rounds=5]     (after `npm run build`)
//
// `npm run bench` (bench/run.mjs) adds the same table to bench/results.md.

import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';
import { existsSync, readFileSync } from 'node:fs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.dirname(here);

/**
 * fast-check's version of the bank: the same three tasks (alice withdraws at once, bob signs in
 * then withdraws, a statement reads three times), each `await` a promise the scheduler releases.
 */
function fastCheckBank(fc, found) {
  return fc.asyncProperty(fc.scheduler(), async (s) => {
    const account = { balance: 100 };
    const turn = (label) => s.schedule(Promise.resolve(), label);
    const withdraw = async (who, amount) => {
      if (account.balance < amount) return false;
      await turn(`${who} fraud check`); // the await between the check and the act
      account.balance -= amount;
      return true;
    };
    const bob = async () => {
      await turn('bob signs in');
      return withdraw('bob', 60);
    };
    const statement = async () => {
      for (let k = 0; k < 3; k++) await turn('statement');
    };
    const all = Promise.all([withdraw('alice', 60), bob(), statement()]);
    await s.waitAll();
    await all;
    if (account.balance < 0) found.count++;
    return true;
  });
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** Measure every contender; returns rows { label, seedsPerS, runs, found } (found: failing schedules per run). */
export async function measureExplore({ seeds = 2000, rounds = 5 } = {}) {
  const wasyncio = await import('wasyncio'); // the package itself: the same instance bank.mjs imports
  const bank = (await import(pathToFileURL(path.join(root, 'examples', 'bank', 'bank.mjs')).href)).default;
  const contenders = [];
  for (const core of ['wasm', 'js']) {
    for (const schedule of ['random', 'pct']) {
      contenders.push({
        label: `wasyncio explore, ${schedule}, ${core === 'wasm' ? 'Wasm core' : 'pure-TS core'}`,
        run: () => wasyncio.explore(bank, { seeds, schedule, core, checkDeterminism: false }).failures.length,
      });
    }
  }
  let fc = null;
  try {
    fc = (await import('fast-check')).default;
  } catch {
    // not installed: the row says so
  }
  const fcVersion = (() => {
    try {
      return JSON.parse(readFileSync(path.join(root, 'node_modules', 'fast-check', 'package.json'), 'utf8')).version;
    } catch {
      return null;
    }
  })();
  if (fc !== null) {
    contenders.push({
      label: `fast-check ${fcVersion ?? ''} scheduler (fc.scheduler, promises)`.replace('  ', ' '),
      run: async () => {
        const found = { count: 0 };
        await fc.assert(fastCheckBank(fc, found), { numRuns: seeds, seed: 42 });
        return found.count;
      },
    });
  }
  const times = contenders.map(() => []);
  const found = contenders.map(() => null);
  for (let r = 0; r <= rounds; r++) {
    // rotate the order each round so a burst of load hits all alike; round 0 is the warm-up
    for (let k = 0; k < contenders.length; k++) {
      const i = (k + r) % contenders.length;
      // a macrotask turn first: a failing run's task is held by a WeakRef until the job ends
      // (see src/cli/chunked.ts), and one job over every run would hold them all
      await new Promise((resolve) => setTimeout(resolve, 0));
      const t0 = performance.now();
      const n = await contenders[i].run();
      const ms = performance.now() - t0;
      if (r > 0) times[i].push(ms);
      found[i] = n;
    }
  }
  const rows = contenders.map((c, i) => ({ label: c.label, seedsPerS: seeds / (median(times[i]) / 1000), runs: times[i].length, found: found[i] }));
  if (fc === null) rows.push({ label: 'fast-check scheduler', skipped: 'fast-check is not installed' });
  return rows;
}

const fmt = (x) => Math.round(x).toLocaleString('en-US');

/** The rows as a Markdown table. */
export function exploreTable(rows, seeds) {
  const lines = [
    `| contender | seeds/s (median) | runs | overdrawing schedules found, of ${fmt(seeds)} |`,
    '|---|--:|--:|--:|',
  ];
  for (const r of rows) {
    if (r.skipped) lines.push(`| ${r.label} | skipped: ${r.skipped} | | |`);
    else lines.push(`| ${r.label} | ${fmt(r.seedsPerS)} | ${r.runs} | ${fmt(r.found)} |`);
  }
  return lines.join('\n');
}

if (process.argv[1] && pathToFileURL(process.argv[1]).href === import.meta.url) {
  const opts = { seeds: 2000, rounds: 5 };
  for (const a of process.argv.slice(2)) {
    const m = /^--(seeds|rounds)=(\d+)$/.exec(a);
    if (!m) {
      console.error(`unknown option ${a} (known: --seeds=N --rounds=N)`);
      process.exit(2);
    }
    opts[m[1]] = Number(m[2]);
  }
  if (!existsSync(path.join(root, 'dist', 'index.node.mjs'))) {
    console.error('dist/ is missing: run `npm run build` first');
    process.exit(2);
  }
  const rows = await measureExplore(opts);
  console.log(`explore throughput on the racy bank (examples/bank/bank.mjs): ${fmt(opts.seeds)} seeds per run, median of ${opts.rounds} rounds, Node ${process.version}`);
  console.log('');
  console.log(exploreTable(rows, opts.seeds));
}

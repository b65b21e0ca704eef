/**
 * `BENCH_RUNS=3 npm run bench`: scripts/bench.sh runs the whole bench that many times,
 * each a fresh stack writing its figures to JSON (BENCH_FIGURES_OUT); this merges them into
 * BENCHMARKS.md. Every figure that is a number (or a percentage) in every run is reported as
 * the median of the runs with its spread "min-max" beside it; any other figure (outcome
 * counts, the machine) as the last run has it. The chart is the median-throughput run's.
 * Usage: node dist/bench/merge.js run-1.json run-2.json ...
 */
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { renderRatioChart } from './ratio-chart';
import { report } from './report';
import { Figures, ROOT, SPREAD } from './stack';

interface Run {
  figures: Figures;
  failures: string[];
}

const files = process.argv.slice(2);
const runs = files.map((f) => JSON.parse(readFileSync(f, 'utf8')) as Run);
if (runs.length === 0) throw new Error('usage: merge.js run-1.json [run-2.json ...]');

/** A figure as a number: 5810, "57%" -> 57; undefined when it is not one. */
const numeric = (v: string | number | undefined): number | undefined => {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  const m = typeof v === 'string' ? /^(-?\d+(?:\.\d+)?)%$/.exec(v) : null;
  return m ? Number(m[1]) : undefined;
};
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};
const round = (x: number) => (Math.abs(x) >= 100 ? Math.round(x) : Math.round(x * 100) / 100);

const merged: Figures = { ...runs[runs.length - 1].figures };
const keys = new Set(runs.flatMap((r) => Object.keys(r.figures)));
for (const key of keys) {
  if (['date', 'nproc', 'cpu', 'memGiB', 'node'].includes(key)) continue;
  const values = runs.map((r) => r.figures[key]);
  const nums = values.map(numeric);
  if (nums.some((n) => n === undefined)) continue;
  const ns = nums as number[];
  const percent = typeof values[0] === 'string';
  const show = (x: number) => (percent ? `${round(x)}%` : round(x));
  merged[key] = show(median(ns));
  const [lo, hi] = [Math.min(...ns), Math.max(...ns)];
  if (lo !== hi) merged[key + SPREAD] = `${show(lo)}-${show(hi)}`;
}
merged.runs = runs.length;
delete merged['runs' + SPREAD];
const failures = runs.flatMap((r, i) => r.failures.map((f) => `run ${i + 1}: ${f}`));

// The chart of the run whose poll throughput is the median one.
const byPoll = runs
  .map((r, i) => ({ i, rps: numeric(r.figures.pollRps) ?? 0 }))
  .sort((a, b) => a.rps - b.rps);
const chartOf = files[byPoll[Math.floor(byPoll.length / 2)].i].replace(/\.json$/, '.svg');
// A partial run (BENCH_ONLY) merges into its own folder (BENCH_MERGE_DIR), not over the committed report.
const outDir = process.env.BENCH_MERGE_DIR ?? ROOT;
const chart = process.env.BENCH_MERGE_DIR
  ? path.join(outDir, 'swarm-chart.svg')
  : path.join(ROOT, 'bench', 'swarm-chart.svg');
if (existsSync(chartOf)) copyFileSync(chartOf, chart);
writeFileSync(path.join(path.dirname(chart), 'throughput-chart.svg'), renderRatioChart(merged));
const target = path.join(outDir, 'BENCHMARKS.md');
writeFileSync(target, report(merged, failures, path.relative(outDir, chart)));
process.stdout.write(`[bench] merged ${runs.length} runs into ${path.relative(ROOT, target)}\n`);
if (failures.length) process.exitCode = 1;

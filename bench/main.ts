/**
 * `npm run bench`: one run, loopback only, bounded in time. Starts its own
 * gateway, admitter, coupon service and bare-route baseline (own ports, Redis
 * prefix, topic prefix, consumer group and databases), runs the phases of
 * bench/phases/ in order, writes BENCHMARKS.md and bench/swarm-chart.svg, and
 * cleans up. Every figure written comes from this run; a phase that fails is
 * reported as such, not guessed. BENCH_ONLY (see stack.ts) runs some phases only,
 * and writes their report and chart into the run's folder under reports/.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { accuracyPhase } from './phases/accuracy';
import { infrastructurePhases } from './phases/infrastructure';
import { proofOfWorkPhase } from './phases/proof-of-work';
import { issuePhases } from './phases/issue';
import { lineStatePhase } from './phases/line-state';
import { pollLatencyPhases } from './phases/poll-latency';
import { swarmPhase } from './phases/swarm';
import { throughputPhases } from './phases/throughput';
import { waitersPhase } from './phases/waiters';
import { renderRatioChart } from './ratio-chart';
import { report } from './report';
import { BenchStack, LOGS, log, ONLY, Phase, RID, ROOT, waitAnswer } from './stack';

/**
 * Where this run writes. One of several (BENCH_FIGURES_OUT, set by scripts/bench.sh for
 * BENCH_RUNS > 1): its figures as JSON there and its chart beside them, for bench/merge.ts.
 * A partial run (BENCH_ONLY): its report and chart in the run's folder, so the committed
 * ones stay whole. Otherwise BENCHMARKS.md and bench/swarm-chart.svg.
 */
const FIGURES_OUT = process.env.BENCH_FIGURES_OUT;
const OUT_DIR = ONLY.length ? LOGS : ROOT;
const REPORT = path.join(OUT_DIR, 'BENCHMARKS.md');
const CHART = FIGURES_OUT
  ? FIGURES_OUT.replace(/\.json$/, '.svg')
  : ONLY.length
    ? path.join(LOGS, 'swarm-chart.svg')
    : path.join(ROOT, 'bench', 'swarm-chart.svg');

/** Every phase, in the order they run (each fills in its part of the report). */
const PHASES: Phase[] = [
  ...throughputPhases(),
  lineStatePhase,
  ...pollLatencyPhases,
  ...issuePhases,
  accuracyPhase,
  proofOfWorkPhase,
  swarmPhase(CHART),
  waitersPhase,
  ...infrastructurePhases,
];

/** Starts the coupon service, the admitter and the gateway; every run has it, whatever BENCH_ONLY says. */
const START: Phase = {
  name: 'start the stack (coupon service, admitter, gateway)',
  needsStack: false,
  run: (b) => b.startApps(),
};

let stack: BenchStack | undefined;

async function main(): Promise<void> {
  mkdirSync(LOGS, { recursive: true });
  const failures: string[] = [];
  const watchdog = setTimeout(() => {
    failures.push('watchdog: the bench exceeded 15 minutes');
    void (stack?.cleanup() ?? Promise.resolve()).finally(() => process.exit(1));
  }, 15 * 60_000);
  const started = Date.now();
  const b = (stack = await BenchStack.connect());
  const { figures } = b;

  /** Runs one phase: true if it ran through, false (and a line in the report) if it failed. */
  const runPhase = async (phase: Phase): Promise<boolean> => {
    const t = Date.now();
    log(`${phase.name}...`);
    try {
      await phase.run(b);
      log(`${phase.name}: done in ${((Date.now() - t) / 1000).toFixed(1)}s`);
      return true;
    } catch (e) {
      failures.push(`${phase.name}: ${(e as Error).message}`);
      log(`${phase.name}: FAILED ${(e as Error).stack ?? e}`);
      return false;
    }
  };

  try {
    figures.cpu = os.cpus()[0]?.model ?? 'unknown';
    figures.nproc = os.cpus().length;
    figures.memGiB = (os.totalmem() / 2 ** 30).toFixed(1);
    figures.node = process.version;
    figures.date = new Date().toISOString();

    await b.prepare();
    const stackUp = await runPhase(START);
    // the bare route is POST-only: any HTTP answer means it listens
    await waitAnswer(`http://127.0.0.1:${b.ports.bare}/bare`);
    log(`gateway ${b.gw}, run id ${RID}, logs ${LOGS}`);

    for (const phase of PHASES) {
      if (ONLY.length && !ONLY.some((w) => phase.name.toLowerCase().includes(w))) continue;
      if (phase.needsStack && !stackUp)
        failures.push(`${phase.name}: skipped, the stack did not start`);
      else await runPhase(phase);
    }
  } finally {
    clearTimeout(watchdog);
    await b.cleanup();
  }
  figures.totalSeconds = Math.round((Date.now() - started) / 1000);
  if (FIGURES_OUT) {
    writeFileSync(FIGURES_OUT, JSON.stringify({ figures, failures }, null, 1));
    log(`wrote ${path.relative(ROOT, FIGURES_OUT)} in ${figures.totalSeconds}s`);
  } else {
    writeFileSync(
      path.join(path.dirname(CHART), 'throughput-chart.svg'),
      renderRatioChart(figures),
    );
    writeFileSync(REPORT, report(figures, failures, path.relative(OUT_DIR, CHART)));
    log(`wrote ${path.relative(ROOT, REPORT)} in ${figures.totalSeconds}s`);
  }
  if (failures.length) {
    log(`phases that failed:\n  ${failures.join('\n  ')}`);
    process.exitCode = 1;
  }
}

main().catch(async (e) => {
  log(`FAILED: ${(e as Error).stack ?? e}`);
  await stack?.cleanup().catch(() => undefined);
  process.exit(1);
});

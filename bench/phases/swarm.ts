/**
 * A swarm over time, for the chart: bots arriving at 500/s at a line admitting 300/s
 * (burst 50), each polling as told by pollAfterMs; line length, admissions/s and polls/s
 * sampled every 250 ms from Kafka and drawn by bench/svg-chart.ts.
 */
import { writeFileSync } from 'node:fs';
import { Phase, RID, sleep } from '../stack';
import { ChartSample, renderChart } from '../svg-chart';

/** Where the chart goes: bench/swarm-chart.svg, or the run's folder for a partial run. */
export function swarmPhase(chartFile: string): Phase {
  return {
    name: 'swarm (chart)',
    needsStack: true,
    async run(b) {
      const { figures } = b;
      await b.setRate('SWARM001', 300, 50);
      const bots = 1500;
      const swarmStatuses: Record<number, number> = {};
      let polls = 0;
      let finished = 0;
      const samples: ChartSample[] = [];
      const t0 = Date.now();
      let lastPolls = 0;
      let lastCommitted = 0;
      let lastT = t0;
      let sampling = true;
      const sampler = (async () => {
        while (sampling) {
          await sleep(250);
          const o = await b.lineOffsets('SWARM001').catch(() => ({
            end: 0,
            committed: lastCommitted,
          }));
          const now = Date.now();
          const dt = (now - lastT) / 1000;
          samples.push({
            t: (now - t0) / 1000,
            lineLength: Math.max(0, o.end - o.committed),
            admissionsPerSec: Math.max(0, (o.committed - lastCommitted) / dt),
            pollsPerSec: (polls - lastPolls) / dt,
          });
          lastT = now;
          lastCommitted = o.committed;
          lastPolls = polls;
        }
      })();
      const bot = async (i: number) => {
        await sleep(i * 2); // 500 arrivals a second
        const userId = `s-${RID}-${i}`;
        let r = await b.post('SWARM001', userId);
        const ticket = String(r.body?.ticket);
        const stop = Date.now() + 60_000;
        while (r.status === 307 && Date.now() < stop) {
          await sleep(Math.min(10_000, Math.max(50, Number(r.body?.pollAfterMs ?? 1000))));
          polls++;
          r = await b.post('SWARM001', userId, ticket);
        }
        finished++;
        swarmStatuses[r.status] = (swarmStatuses[r.status] ?? 0) + 1;
      };
      await Promise.all(Array.from({ length: bots }, (_, i) => bot(i)));
      sampling = false;
      await sampler;
      figures.swarmSeconds = ((Date.now() - t0) / 1000).toFixed(1);
      figures.swarmPolls = polls;
      figures.swarmBots = finished;
      figures.swarmStatuses = JSON.stringify(swarmStatuses);
      writeFileSync(
        chartFile,
        renderChart(
          `Swarm: ${bots} bots arriving at 500/s, line admitting 300/s (run ${RID})`,
          samples,
        ),
      );
    },
  };
}

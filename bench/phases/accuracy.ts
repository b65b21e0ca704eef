/**
 * Admission accuracy: does the admitter admit at the rate it is told? One line is paused,
 * filled with ACCURACY_FILL tickets of distinct uuids (a kafkajs producer, acks=all: Kafka's
 * ProducerPerformance picks its payloads at random, and a uuid admitted once is not again),
 * then opened at 100, 1,000 and 5,000 admissions/s in turn; after a 2 s settling time the
 * admissions the admitter recorded (its Redis counter) are counted over a 30 s window.
 * Target: within 5% of the configured rate. Abandonment is off in the bench
 * (ABANDON_AFTER_SECONDS 3600) and the gateways' pulse stays alive, so every decision is
 * an admission.
 */
import { randomUUID } from 'node:crypto';
import { lineTopic, RedisKeys } from '@app/queue';
import { BenchStack, Phase, sleep } from '../stack';

const LINE = 'ACCURAC1';
const RATES = [100, 1000, 5000];
const WINDOW_S = Number(process.env.BENCH_ACCURACY_WINDOW ?? 30);
const SETTLE_MS = 2000;
/** Enough for every rate's settling time and window, with a margin. */
const ACCURACY_FILL = RATES.reduce((n, r) => n + r * (WINDOW_S + 4), 0) + 10_000;

export const accuracyPhase: Phase = {
  name: 'admission accuracy at 100, 1,000 and 5,000/s',
  needsStack: true,
  async run(b) {
    const { figures } = b;
    await b.setRate(LINE, 0, 1);
    const first = await b.post(LINE, 'accuracy-head');
    if (first.status !== 307) throw new Error(`enqueue on ${LINE} answered ${first.status}`);
    await fillUnique(b, ACCURACY_FILL);
    const redis = b.redis(b.redisPrefix);
    const admitted = async () =>
      Number((await redis.hget(RedisKeys.lineStats(LINE), 'admitted')) ?? 0);
    try {
      for (const rate of RATES) {
        // A bucket of a tenth of a second: the rate, not a burst, decides the window.
        await b.setRate(LINE, rate, Math.max(1, Math.round(rate / 10)));
        await sleep(SETTLE_MS);
        const [n0, t0] = [await admitted(), Date.now()];
        await sleep(WINDOW_S * 1000);
        const [n1, t1] = [await admitted(), Date.now()];
        const achieved = (n1 - n0) / ((t1 - t0) / 1000);
        figures[`accuracy${rate}`] = Math.round(achieved * 10) / 10;
        figures[`accuracy${rate}Error`] = `${((100 * (achieved - rate)) / rate).toFixed(1)}%`;
      }
      figures.accuracyWindow = WINDOW_S;
      figures.accuracyFill = ACCURACY_FILL;
    } finally {
      await b.setRate(LINE, 0, 1).catch(() => undefined);
      redis.disconnect();
    }
  },
};

/** Appends `count` ticket records with distinct uuids to the line, in batches, acks=all. */
async function fillUnique(b: BenchStack, count: number): Promise<void> {
  const producer = b.kafka.kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    const topic = lineTopic(b.prefix, LINE);
    for (let sent = 0; sent < count;) {
      const n = Math.min(5000, count - sent);
      const messages = Array.from({ length: n }, (_, i) => {
        const uuid = randomUUID();
        const userId = `acc-${sent + i}`;
        return {
          key: uuid,
          value: JSON.stringify({ uuid, line: LINE, userId, issuedAt: Date.now() }),
        };
      });
      await producer.send({ topic, acks: -1, messages });
      sent += n;
    }
  } finally {
    await producer.disconnect();
  }
}

/** The report's section for this phase. */
export function accuracySection(f: (k: string, unit?: string) => string): string {
  const row = (rate: number) =>
    `| ${rate.toLocaleString('en')} | ${f(`accuracy${rate}`)} | ${f(`accuracy${rate}Error`)} |`;
  return `
## Admission accuracy

One line, paused and filled with ${f('accuracyFill')} ticket-shaped records, then opened at each rate
(burst a tenth of the rate); admissions the admitter recorded, counted over ${f('accuracyWindow', ' s')} after 2 s
of settling. Target: within 5% of the configured rate.

| configured admissions/s | achieved admissions/s | error |
| ---: | ---: | ---: |
${RATES.map(row).join('\n')}
`;
}

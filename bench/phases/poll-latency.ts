/**
 * Poll latency does not grow with the line: one ticket at the tail of a line, polled by 10
 * connections, once with 1,000 tickets in line and once with FILL_BIG. The line is filled
 * with Kafka's own ProducerPerformance (ticket-shaped records, acks=all) between a head
 * and a tail ticket.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { lineTopic } from '@app/queue';
import { BenchStack, FILL_BIG, LOGS, Phase, producerPerf, RID, rssMiB, sleep } from '../stack';

/** Fills `code`'s line with `records` ticket-shaped records; returns ProducerPerformance's summary. */
async function fill(b: BenchStack, code: string, records: number): Promise<string> {
  const payloads = path.join(LOGS, 'records.txt');
  const lines = Array.from({ length: 1000 }, (_, i) =>
    JSON.stringify({
      uuid: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      line: code,
      userId: `filler-${i}`,
      issuedAt: Date.now(),
    }),
  );
  writeFileSync(payloads, lines.join('\n'));
  return producerPerf(lineTopic(b.prefix, code), records, ['--payload-file', payloads]);
}

/** A line of `size` tickets on `code`, its tail polled; the figures go under `key`. */
async function latencyAt(b: BenchStack, code: string, size: number, key: string): Promise<string> {
  const { figures } = b;
  const head = await b.post(code, `head-${RID}-${code}`);
  if (head.status !== 307) throw new Error(`enqueue on ${code} answered ${head.status}`);
  const perf = await fill(b, code, size - 2);
  const userId = `tail-${RID}-${code}`;
  const tail = await b.post(code, userId);
  if (tail.status !== 307 || !tail.body)
    throw new Error(`tail enqueue on ${code} answered ${tail.status}`);
  const ticket = String(tail.body.ticket);
  // let the cached view catch up with the fill before measuring
  await sleep(1000);
  const seen = await b.post(code, userId, ticket);
  const r = await b.cannon({
    url: `${b.gw}/api/coupons/${code}/issue`,
    connections: 10,
    headers: { 'content-type': 'application/json', 'x-queue-ticket': ticket },
    body: JSON.stringify({ userId }),
  });
  const offsets = await b.lineOffsets(code);
  figures[`${key}Ahead`] = Number(seen.body?.ahead ?? NaN);
  figures[`${key}KafkaLine`] = offsets.end - offsets.committed;
  figures[`${key}P50`] = r.latency.p50;
  figures[`${key}P99`] = r.latency.p99;
  figures[`${key}Rps`] = Math.round(r['3xx'] / r.duration);
  figures[`${key}Rss`] = Math.round(rssMiB(b.gateway?.pid));
  return perf;
}

export const pollLatencyPhases: Phase[] = [
  {
    name: 'poll latency, 1,000 in line',
    needsStack: true,
    async run(b) {
      await latencyAt(b, 'B0001', 1000, 'small');
    },
  },
  {
    name: `poll latency, ${FILL_BIG.toLocaleString('en')} in line`,
    needsStack: true,
    async run(b) {
      const { figures } = b;
      figures.kafkaPerf = await latencyAt(b, 'C0001', FILL_BIG, 'big');
      figures.latencyRatioP50 = (Number(figures.bigP50) / Number(figures.smallP50)).toFixed(2);
      figures.latencyRatioP99 = (Number(figures.bigP99) / Number(figures.smallP99)).toFixed(2);
    },
  },
];

/**
 * BENCHMARKS.md: the report of one run, from the figures its phases measured. A figure
 * no phase measured prints as n/a; the phases that failed are listed at the end.
 */
import path from 'node:path';
import { accuracySection } from './phases/accuracy';
import { lineStateSection } from './phases/line-state';
import { proofOfWorkSection } from './phases/proof-of-work';
import { waitersSection } from './phases/waiters';
import { CONNECTIONS, DURATION, Figures, FILL_BIG, formatter, ISSUERS, ONLY } from './stack';

/** `chart`: the swarm chart's path from the report's folder. */
export function report(figures: Figures, failures: string[], chart: string): string {
  const f = formatter(figures);
  const ratio = (a: string, b: string) =>
    figures[a] !== undefined && figures[b] !== undefined
      ? (Number(figures[a]) / Number(figures[b])).toFixed(1)
      : 'n/a';
  const pctOf = (a: string, b: string) =>
    figures[a] !== undefined && figures[b] !== undefined
      ? `${((100 * Number(figures[a])) / Number(figures[b])).toFixed(0)}%`
      : 'n/a';
  return `# Benchmarks

Written by \`${Number(figures.runs ?? 1) > 1 ? `BENCH_RUNS=${figures.runs} ` : ''}npm run bench\` (scripts/bench.sh -> dist/bench/main.js${Number(figures.runs ?? 1) > 1 ? ', then dist/bench/merge.js' : ''}); ${
    Number(figures.runs ?? 1) > 1
      ? `the bench ran ${figures.runs} times, each on a fresh stack: every measured number below is the median of the runs, with the spread (lowest-highest) in brackets; the rest is from the last run.`
      : 'every figure below comes from that one run.'
  } Do not edit by hand: run it again.

- Date: ${f('date')}; total run time ${f('totalSeconds', ' s')}
- Machine: ${f('nproc')} CPUs (${f('cpu')}), ${f('memGiB', ' GiB')} memory, Node ${f('node')}
- Command: \`${ONLY.length ? `BENCH_ONLY=${ONLY.join(',')} ` : ''}npm run bench\` (autocannon ${CONNECTIONS} connections x ${DURATION} s per HTTP figure after a 2 s warm-up, loopback only;
  the bench starts its own gateway, admitter, coupon service and baseline app, with their own
  Redis prefix, Kafka topics, consumer group and databases, and removes them afterwards)
- Everything (Kafka, Redis, PostgreSQL, the apps and the load generator) shares the same ${f('nproc')} cores.

## HTTP throughput against raw node:http and a bare route of the same stack

Two baselines: a raw node:http server in a process of its own that reads the same POST body and
answers a 307 with a body the size of a poll's answer (${f('rawPostBytes')} bytes; bench/raw-http-server.ts), the
least any node server can do here; and a one-route app built with the project's \`createHttpApp\`
(Fastify, Nest, validation, exception filter, pino) answering the same POST at once. Only correct
answers count (307 with a ticket for enqueue and poll). A poll from an API client is answered by the
gateway's fast path ahead of Fastify and Nest (apps/queue-gateway/src/queue/issue-fast-path.ts).

| what | req/s | p50 ms | p99 ms | of bare route | of raw node:http | target |
| --- | ---: | ---: | ---: | ---: | ---: | --- |
| raw node:http POST (baseline) | ${f('rawPostRps')} | ${f('rawPostP50')} | ${f('rawPostP99')} | | 100% | |
| bare route (baseline) | ${f('bareRps')} | ${f('bareP50')} | ${f('bareP99')} | 100% | ${f('bareRawRatio')} | |
| enqueue: first request, unique userIds (Kafka acks=all) | ${f('enqueueRps')} | ${f('enqueueP50')} | ${f('enqueueP99')} | ${f('enqueueRatio')} | ${f('enqueueRawRatio')} | >= 60% of bare, >= 10,000/s |
| poll: re-POST with the ticket, not yet admitted | ${f('pollRps')} | ${f('pollP50')} | ${f('pollP99')} | ${f('pollRatio')} | ${f('pollRawRatio')} | >= 70% of bare, >= 30% of raw |

Answers other than 307: enqueue ${f('enqueueOther')}, poll ${f('pollOther')}.

![throughput per path against its baseline](${path.posix.join(path.posix.dirname(chart), 'throughput-chart.svg')})
${lineStateSection(figures)}
## Poll latency does not grow with the line

One ticket at the tail of a line, polled by 10 connections for ${DURATION} s. The line was filled with
Kafka's own ProducerPerformance (ticket-shaped records, acks=all) between a head and a tail ticket.

| tickets in line | ahead (gateway) | line in Kafka (end - committed) | poll p50 ms | poll p99 ms | polls/s | gateway RSS MiB |
| ---: | ---: | ---: | ---: | ---: | ---: | ---: |
| 1,000 | ${f('smallAhead')} | ${f('smallKafkaLine')} | ${f('smallP50')} | ${f('smallP99')} | ${f('smallRps')} | ${f('smallRss')} |
| ${FILL_BIG.toLocaleString('en')} | ${f('bigAhead')} | ${f('bigKafkaLine')} | ${f('bigP50')} | ${f('bigP99')} | ${f('bigRps')} | ${f('bigRss')} |

Ratio long/short: p50 ${Number(figures.smallP50) === 0 && Number(figures.bigP50) === 0 ? 'n/a (both under 1 ms: autocannon reports whole milliseconds)' : f('latencyRatioP50')}, p99 ${f('latencyRatioP99')} (target <= 1.2).

## Coupons issued per second

| path | issued/s | issued | rows in PostgreSQL | notes |
| --- | ---: | ---: | ---: | --- |
| PostgreSQL's own insert rate (baseline): prepared single-row INSERT, UNIQUE(coupon_code, user_id), ${f('pgInsertConnections')} connections | ${f('pgInsertPerSec')} | | | ${ISSUERS} callers, ${DURATION} s |
| naive baseline: Redis SETNX lock around check-then-insert (bench/naive-issuer.ts) | ${f('naivePerSec')} | ${f('naiveIssued')} | ${f('naiveRows')} | ${ISSUERS} concurrent callers, ${DURATION} s cap |
| coupon service directly (TCP ClientProxy, ${ISSUERS} in flight, 12,000 users for 10,000) | ${f('directPerSec')} | ${f('directIssued')} | ${f('directRows')} | outcomes ${f('directOutcomes')}, remaining ${f('directRemaining')} |
| end to end through the gateway, admitted tickets (${ISSUERS} in flight, 3,000 for 3,000) | ${f('e2ePerSec')} | ${f('e2eIssued')} | ${f('e2eRows')} | statuses ${f('e2eStatuses')} |

Direct vs naive: ${ratio('directPerSec', 'naivePerSec')}x; end to end vs naive: ${ratio('e2ePerSec', 'naivePerSec')}x.
Direct vs PostgreSQL's own insert rate: ${pctOf('directPerSec', 'pgInsertPerSec')} (target >= 50%); end to end: ${f('e2ePerSec')}/s (target >= 3,000/s).
The write-ups this grew from report 60-180 issues/s; the target here is >= 2,000/s with zero oversell
(rows in PostgreSQL never exceed the quantity).

## Infrastructure limits on this machine

- Kafka ProducerPerformance (same jars as the broker, acks=all), 500,000 records of 100 bytes on a scratch topic: ${f('kafkaScratch')}
- the same tool filling the long line (${FILL_BIG.toLocaleString('en')} ticket-shaped records, acks=all): ${f('kafkaPerf')}
- redis-benchmark (50 clients, 100,000 requests, db 15): SET ${f('redisSET')}/s, GET ${f('redisGET')}/s

${accuracySection(f)}${proofOfWorkSection(f)}
## A swarm over time

![line length, admissions and polls](${chart})

${f('swarmBots')} bots arrived at 500/s at a line admitting 300/s (burst 50) and polled as told by
pollAfterMs; ${f('swarmPolls')} polls in ${f('swarmSeconds', ' s')}; final answers ${f('swarmStatuses')}. Sampled every 250 ms from Kafka
(line length = end offset - the admitter group's committed offset; admissions/s = its rate of change).
${waitersSection(figures)}${failures.length ? `\n## Phases that failed in this run\n\n${failures.map((x) => `- ${x}`).join('\n')}\n` : ''}`;
}

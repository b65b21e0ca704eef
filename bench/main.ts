/**
 * `npm run bench`: one run, loopback only, bounded in time. Starts its own
 * gateway, admitter, coupon service and bare-route baseline (own ports, Redis
 * prefix, topic prefix, consumer group and databases), measures, writes
 * BENCHMARKS.md and bench/swarm-chart.svg, and cleans up. Every figure written
 * comes from this run; a phase that fails is reported as such, not guessed.
 */
import { ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import autocannon from 'autocannon';
import Redis from 'ioredis';
import { Client, Pool } from 'pg';
import { ClientProxy, ClientProxyFactory, Transport } from '@nestjs/microservices';
import { firstValueFrom, timeout } from 'rxjs';
import { loadEnv } from '@app/config';
import { CouponPatterns, CouponView, IssueCouponResult, withCouponAuth } from '@app/contracts';
import { KafkaClient } from '@app/kafka';
import { lineTopic } from '@app/queue';
import { lineStatePhase, lineStateSection } from './line-state';
import { NaiveIssuer } from './naive-issuer';
import { ChartSample, renderChart } from './svg-chart';
import { waitersPhase, waitersSection } from './waiters';

const run = promisify(execFile);

/**
 * Kafka's own producer performance tool (the broker's jars, acks=all, unthrottled):
 * `records` records into `topic`; `recordArgs` says what to send. Returns its summary line.
 */
async function producerPerf(topic: string, records: number, recordArgs: string[]): Promise<string> {
  const { stdout } = await run(
    'bash',
    [
      'scripts/services.sh',
      'kafka-java',
      'org.apache.kafka.tools.ProducerPerformance',
      '--topic',
      topic,
      '--num-records',
      String(records),
      ...recordArgs,
      '--throughput',
      '-1',
      '--producer-props',
      `bootstrap.servers=${process.env.KAFKA_BROKERS ?? '127.0.0.1:9092'}`,
      'acks=all',
    ],
    { maxBuffer: 64 * 1024 * 1024, timeout: 300_000 },
  );
  const summary = stdout
    .trim()
    .split('\n')
    .filter((l) => l.includes('records sent'))
    .pop();
  if (!summary) throw new Error(`ProducerPerformance printed no summary for ${topic}`);
  return summary;
}
const ROOT = process.cwd();
const RID = randomBytes(3).toString('hex');
const LOGS = path.join(ROOT, 'reports', `bench-${RID}`);
const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
/** Concurrent issue requests in every issuing phase (naive, direct, end to end), so their rates compare. */
const ISSUERS = 200;
const FILL_BIG = Number(process.env.BENCH_BIG_LINE ?? 1_000_000);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (m: string) => process.stdout.write(`[bench] ${m}\n`);
/**
 * BENCH_ONLY=waiters,linestate runs only the phases whose names contain one of these words
 * (case-insensitive; the stack always starts) and writes its report into the run's folder
 * under reports/, not over BENCHMARKS.md. Unset: every phase, BENCHMARKS.md.
 */
const ONLY = (process.env.BENCH_ONLY ?? '')
  .split(',')
  .map((s) => s.trim().toLowerCase())
  .filter(Boolean);

const figures: Record<string, string | number> = {};
const failures: string[] = [];
const procs: { name: string; child: ChildProcess }[] = [];

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

function start(name: string, script: string, env: NodeJS.ProcessEnv): ChildProcess {
  const out = openSync(path.join(LOGS, `${name}.log`), 'a');
  const child = spawn(process.execPath, [script], { env, stdio: ['ignore', out, out] });
  procs.push({ name, child });
  return child;
}

async function waitReady(url: string, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url, { signal: AbortSignal.timeout(1000) })).ok) return;
    } catch {
      /* not up yet */
    }
    await sleep(250);
  }
  throw new Error(`${url} not ready within ${ms / 1000}s (logs: ${LOGS})`);
}

async function waitReadyAny(url: string, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    try {
      await fetch(url, { signal: AbortSignal.timeout(1000) });
      return;
    } catch {
      await sleep(250);
    }
  }
  throw new Error(`${url} did not answer within ${ms / 1000}s (logs: ${LOGS})`);
}

const rssMiB = (pid: number | undefined): number => {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : NaN;
};

async function phase(name: string, fn: () => Promise<void>): Promise<void> {
  const always = name.startsWith('start the stack');
  if (ONLY.length && !always && !ONLY.some((w) => name.toLowerCase().includes(w))) return;
  const t = Date.now();
  log(`${name}...`);
  try {
    await fn();
    log(`${name}: done in ${((Date.now() - t) / 1000).toFixed(1)}s`);
  } catch (e) {
    failures.push(`${name}: ${(e as Error).message}`);
    log(`${name}: FAILED ${(e as Error).stack ?? e}`);
  }
}

async function main(): Promise<void> {
  mkdirSync(LOGS, { recursive: true });
  const watchdog = setTimeout(() => {
    failures.push('watchdog: the bench exceeded 15 minutes');
    void cleanup().finally(() => process.exit(1));
  }, 15 * 60_000);
  const started = Date.now();
  const base = loadEnv();
  const [gwPort, couponPort, couponHttp, admitterHttp, barePort] = await Promise.all(
    [1, 2, 3, 4, 5].map(() => freePort()),
  );
  const db = `bench_${RID}`;
  const naiveDb = `bench_naive_${RID}`;
  const prefix = `bench.${RID}.`;
  const redisPrefix = `bench-${RID}:`;
  const group = `bench-${RID}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    GATEWAY_PORT: String(gwPort),
    COUPON_SERVICE_PORT: String(couponPort),
    COUPON_SERVICE_HTTP_PORT: String(couponHttp),
    ADMITTER_HTTP_PORT: String(admitterHttp),
    KAFKA_TOPIC_PREFIX: prefix,
    KAFKA_CLIENT_ID: `bench-${RID}`,
    ADMITTER_GROUP_ID: group,
    REDIS_KEY_PREFIX: redisPrefix,
    POSTGRES_DB: db,
    // lines stand still unless a phase opens them with the admin API
    ADMISSION_RATE_PER_SEC: '0.001',
    ADMISSION_BURST: '1',
    // the filler records of the long lines never poll: keep them live, not abandoned
    ABANDON_AFTER_SECONDS: '3600',
  };
  const gw = `http://127.0.0.1:${gwPort}`;
  const admin = { authorization: `Bearer ${base.ADMIN_TOKEN}`, 'content-type': 'application/json' };
  const kafka = new KafkaClient(loadEnv(env));
  const pgAdmin = new Client({
    host: base.POSTGRES_HOST,
    port: base.POSTGRES_PORT,
    user: base.POSTGRES_USER,
    password: base.POSTGRES_PASSWORD,
    database: base.POSTGRES_DB,
  });
  await pgAdmin.connect();
  const cleanups: (() => Promise<unknown>)[] = [];
  cleanup = async () => {
    for (const { child } of procs) child.kill('SIGTERM');
    await Promise.all(
      procs.map(({ child }) =>
        child.exitCode === null
          ? new Promise((r) => {
              const t = setTimeout(() => {
                child.kill('SIGKILL');
                r(null);
              }, 5000);
              child.once('exit', () => {
                clearTimeout(t);
                r(null);
              });
            })
          : null,
      ),
    );
    for (const c of cleanups.reverse())
      await c().catch((e) => log(`cleanup: ${(e as Error).message}`));
    await pgAdmin.end().catch(() => undefined);
  };

  try {
    // ---- machine ----
    figures.cpu = os.cpus()[0]?.model ?? 'unknown';
    figures.nproc = os.cpus().length;
    figures.memGiB = (os.totalmem() / 2 ** 30).toFixed(1);
    figures.node = process.version;
    figures.date = new Date().toISOString();

    // ---- our own databases and stack ----
    await pgAdmin.query(`CREATE DATABASE ${db}`);
    cleanups.push(() => pgAdmin.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`));
    await pgAdmin.query(`CREATE DATABASE ${naiveDb}`);
    cleanups.push(() => pgAdmin.query(`DROP DATABASE IF EXISTS ${naiveDb} WITH (FORCE)`));
    cleanups.push(async () => {
      const admin = await kafka.admin();
      const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
      if (topics.length) await admin.deleteTopics({ topics });
      await admin.deleteGroups([group]).catch(() => undefined);
      await kafka.onApplicationShutdown();
    });
    cleanups.push(async () => {
      const r = new Redis({
        host: base.REDIS_HOST,
        port: base.REDIS_PORT,
        password: base.REDIS_PASSWORD || undefined,
      });
      for (const p of [redisPrefix, `bench-naive-${RID}:`]) {
        let cursor = '0';
        do {
          const [next, keys] = await r.scan(cursor, 'MATCH', `${p}*`, 'COUNT', 1000);
          if (keys.length) await r.del(...keys);
          cursor = next;
        } while (cursor !== '0');
      }
      r.disconnect();
    });
    await run(process.execPath, ['dist/apps/coupon-service/src/migrate.js'], { env });
    // Benchmark-only coupons in the bench's own database, so phases never share stock.
    const coupons = new Client({
      host: base.POSTGRES_HOST,
      port: base.POSTGRES_PORT,
      user: base.POSTGRES_USER,
      password: base.POSTGRES_PASSWORD,
      database: db,
    });
    await coupons.connect();
    await coupons.query(
      `INSERT INTO coupon (code, name, discount, quantity) VALUES
       ('DIRECT01', 'bench: direct issue', 1, 10000), ('E2E00001', 'bench: end to end', 1, 3000),
       ('SWARM001', 'bench: swarm chart', 1, 100000)`,
    );
    await coupons.end();

    start('bare', 'dist/bench/bare-app.js', { ...env, BARE_PORT: String(barePort) });
    let stackUp = false;
    let gateway: ChildProcess | undefined;
    await phase('start the stack (coupon service, admitter, gateway)', async () => {
      start('coupon-service', 'dist/apps/coupon-service/src/main.js', env);
      await waitReady(`http://127.0.0.1:${couponHttp}/health/ready`);
      start('admitter', 'dist/apps/admitter/src/main.js', env);
      gateway = start('queue-gateway', 'dist/apps/queue-gateway/src/main.js', env);
      await Promise.all([
        waitReady(`${gw}/health/ready`),
        waitReady(`http://127.0.0.1:${admitterHttp}/health/ready`),
      ]);
      stackUp = true;
    });
    // the bare route is POST-only: any HTTP answer means it listens
    await waitReadyAny(`http://127.0.0.1:${barePort}/bare`);
    const stackPhase = (name: string, fn: () => Promise<void>) =>
      stackUp
        ? phase(name, fn)
        : (failures.push(`${name}: skipped, the stack did not start`), Promise.resolve());
    log(`gateway ${gw}, run id ${RID}, logs ${LOGS}`);

    const post = async (code: string, userId: string, ticket?: string) => {
      const res = await fetch(`${gw}/api/coupons/${code}/issue`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(ticket ? { 'x-queue-ticket': ticket } : {}),
        },
        body: JSON.stringify({ userId }),
      });
      return {
        status: res.status,
        body: (await res.json().catch(() => null)) as Record<string, unknown> | null,
      };
    };
    const setRate = async (code: string, ratePerSec: number, burst: number) => {
      const res = await fetch(`${gw}/api/admin/lines/${code}`, {
        method: 'PUT',
        headers: admin,
        body: JSON.stringify({ ratePerSec, burst, maxActive: 0 }),
      });
      if (!res.ok) throw new Error(`PUT /api/admin/lines/${code} answered ${res.status}`);
    };
    const lineOffsets = async (code: string) => {
      const a = await kafka.admin();
      const topic = lineTopic(prefix, code);
      const ends = await a.fetchTopicOffsets(topic);
      const committed = await a.fetchOffsets({ groupId: group, topics: [topic] });
      let end = 0;
      let done = 0;
      for (const p of ends) {
        end += Number(p.high);
        const c = Number(
          committed[0]?.partitions.find((x) => x.partition === p.partition)?.offset ?? -1,
        );
        done += c < 0 ? Number(p.low) : c;
      }
      return { end, committed: done };
    };

    // ---- throughput against the bare route ----
    // Each measured run follows a 2 s warm-up of the same requests (JIT, connection pools), discarded.
    const cannon = async (opts: Partial<autocannon.Options> & { url: string }) => {
      const base = { connections: CONNECTIONS, pipelining: 1, method: 'POST' as const, ...opts };
      await autocannon({ ...base, duration: 2 });
      return autocannon({ ...base, duration: DURATION });
    };
    let bareRps = NaN;
    await phase('bare route (baseline)', async () => {
      const r = await cannon({
        url: `http://127.0.0.1:${barePort}/bare`,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ userId: 'bench-user' }),
      });
      bareRps = r['2xx'] / r.duration;
      figures.bareRps = Math.round(bareRps);
      figures.bareP50 = r.latency.p50;
      figures.bareP99 = r.latency.p99;
    });

    const captured: { ticket: string; userId: string }[] = [];
    await stackPhase('enqueue (first requests, unique users)', async () => {
      const warm = await post('A0001', `warm-${RID}`);
      if (warm.status !== 307)
        throw new Error(`first enqueue answered ${warm.status}: ${JSON.stringify(warm.body)}`);
      let n = 0;
      const r = await cannon({
        url: `${gw}/api/coupons/A0001/issue`,
        headers: { 'content-type': 'application/json' },
        requests: [
          {
            setupRequest: (req, ctx) => {
              ctx.userId = `e-${RID}-${n++}`;
              return { ...req, body: JSON.stringify({ userId: ctx.userId }) };
            },
            onResponse: (status, _body, ctx, headers) => {
              if (status === 307 && captured.length < 5000) {
                captured.push({ ticket: headers['x-queue-ticket'], userId: String(ctx.userId) });
              }
            },
          },
        ],
      });
      figures.enqueueRps = Math.round(r['3xx'] / r.duration);
      figures.enqueueP50 = r.latency.p50;
      figures.enqueueP99 = r.latency.p99;
      figures.enqueueOther = r.requests.total - r['3xx'];
      figures.enqueueRatio = `${((100 * r['3xx']) / r.duration / bareRps).toFixed(0)}%`;
    });

    await stackPhase('poll (re-POST with ticket, not yet admitted)', async () => {
      if (!captured.length) throw new Error('no tickets captured by the enqueue phase');
      let i = 0;
      const r = await cannon({
        url: `${gw}/api/coupons/A0001/issue`,
        requests: [
          {
            setupRequest: (req) => {
              const c = captured[i++ % captured.length];
              return {
                ...req,
                headers: { 'content-type': 'application/json', 'x-queue-ticket': c.ticket },
                body: JSON.stringify({ userId: c.userId }),
              };
            },
          },
        ],
      });
      figures.pollRps = Math.round(r['3xx'] / r.duration);
      figures.pollP50 = r.latency.p50;
      figures.pollP99 = r.latency.p99;
      figures.pollOther = r.requests.total - r['3xx'];
      figures.pollRatio = `${((100 * r['3xx']) / r.duration / bareRps).toFixed(0)}%`;
    });

    await stackPhase('linestate: cached GET /api/lines/{code} vs raw node:http', () =>
      lineStatePhase({
        gw,
        line: 'A0001',
        env,
        figures,
        log,
        start,
        freePort,
        waitReadyAny,
        cannon,
      }),
    );

    // ---- poll latency with a short and a very long line ----
    const payloads = path.join(LOGS, 'records.txt');
    const fill = async (code: string, records: number) => {
      const lines = Array.from({ length: 1000 }, (_, i) =>
        JSON.stringify({
          uuid: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
          line: code,
          userId: `filler-${i}`,
          issuedAt: Date.now(),
        }),
      );
      writeFileSync(payloads, lines.join('\n'));
      return producerPerf(lineTopic(prefix, code), records, ['--payload-file', payloads]);
    };
    const latencyAt = async (code: string, size: number, key: string) => {
      const head = await post(code, `head-${RID}-${code}`);
      if (head.status !== 307) throw new Error(`enqueue on ${code} answered ${head.status}`);
      const perf = await fill(code, size - 2);
      const userId = `tail-${RID}-${code}`;
      const tail = await post(code, userId);
      if (tail.status !== 307 || !tail.body)
        throw new Error(`tail enqueue on ${code} answered ${tail.status}`);
      const ticket = String(tail.body.ticket);
      // let the cached view catch up with the fill before measuring
      await sleep(1000);
      const seen = await post(code, userId, ticket);
      const r = await cannon({
        url: `${gw}/api/coupons/${code}/issue`,
        connections: 10,
        headers: { 'content-type': 'application/json', 'x-queue-ticket': ticket },
        body: JSON.stringify({ userId }),
      });
      const offsets = await lineOffsets(code);
      figures[`${key}Ahead`] = Number(seen.body?.ahead ?? NaN);
      figures[`${key}KafkaLine`] = offsets.end - offsets.committed;
      figures[`${key}P50`] = r.latency.p50;
      figures[`${key}P99`] = r.latency.p99;
      figures[`${key}Rps`] = Math.round(r['3xx'] / r.duration);
      figures[`${key}Rss`] = rssMiB(gateway?.pid);
      return perf;
    };
    await stackPhase('poll latency, 1,000 in line', async () => {
      await latencyAt('B0001', 1000, 'small');
    });
    await stackPhase(`poll latency, ${FILL_BIG.toLocaleString('en')} in line`, async () => {
      figures.kafkaPerf = await latencyAt('C0001', FILL_BIG, 'big');
      figures.latencyRatioP50 = (Number(figures.bigP50) / Number(figures.smallP50)).toFixed(2);
      figures.latencyRatioP99 = (Number(figures.bigP99) / Number(figures.smallP99)).toFixed(2);
    });

    // ---- issuing: directly, end to end, and the naive baseline ----
    await stackPhase('issue directly at the coupon service (TCP)', async () => {
      const client: ClientProxy = ClientProxyFactory.create({
        transport: Transport.TCP,
        options: { host: '127.0.0.1', port: couponPort },
      });
      await client.connect();
      // as the gateway's CouponClient does: the service refuses a message without the token
      const withAuth = <T extends object>(data: T) =>
        withCouponAuth(data, base.COUPON_SERVICE_TOKEN);
      const outcomes: Record<string, number> = {};
      let next = 0;
      let lastIssued = 0;
      const t0 = Date.now();
      const worker = async () => {
        while (next < 12_000) {
          const userId = `d-${RID}-${next++}`;
          const r = await firstValueFrom(
            client
              .send<IssueCouponResult>(CouponPatterns.issue, withAuth({ code: 'DIRECT01', userId }))
              .pipe(timeout(10_000)),
          );
          outcomes[r.outcome] = (outcomes[r.outcome] ?? 0) + 1;
          if (r.outcome === 'issued') lastIssued = Date.now();
        }
      };
      await Promise.all(Array.from({ length: ISSUERS }, worker));
      const list = await firstValueFrom(
        client.send<CouponView[]>(CouponPatterns.list, withAuth({})).pipe(timeout(5000)),
      );
      client.close();
      const view = list.find((c) => c.code === 'DIRECT01');
      figures.directIssued = outcomes.issued ?? 0;
      figures.directPerSec = Math.round((outcomes.issued ?? 0) / ((lastIssued - t0) / 1000));
      figures.directOutcomes = JSON.stringify(outcomes);
      figures.directRemaining = view?.remaining ?? NaN;
      const rows = await countWallet(base, db, 'DIRECT01');
      figures.directRows = rows;
      if (rows > 10_000 || (outcomes.issued ?? 0) !== rows)
        throw new Error(`oversell or mismatch: ${rows} rows, ${outcomes.issued} issued`);
    });

    await stackPhase('issue end to end through the gateway (admitted tickets)', async () => {
      // opened before the first ticket: the admitter re-reads a line's rate only between token waits
      await setRate('E2E00001', 100000, 100000);
      const users = 3000;
      const tickets: { userId: string; ticket: string }[] = [];
      let k = 0;
      await Promise.all(
        Array.from({ length: 50 }, async () => {
          while (k < users) {
            const userId = `g-${RID}-${k++}`;
            const r = await post('E2E00001', userId);
            if (r.status === 307) tickets.push({ userId, ticket: String(r.body?.ticket) });
          }
        }),
      );
      const deadline = Date.now() + 30_000;
      for (;;) {
        const o = await lineOffsets('E2E00001');
        if (o.committed >= o.end) break;
        if (Date.now() > deadline)
          throw new Error(`admission did not reach the tail in 30 s (${o.committed}/${o.end})`);
        await sleep(100);
      }
      const counts: Record<number, number> = {};
      let i = 0;
      let last201 = 0;
      const t0 = Date.now();
      await Promise.all(
        Array.from({ length: ISSUERS }, async () => {
          while (i < tickets.length) {
            const t = tickets[i++];
            const r = await post('E2E00001', t.userId, t.ticket);
            counts[r.status] = (counts[r.status] ?? 0) + 1;
            if (r.status === 201) last201 = Date.now();
          }
        }),
      );
      figures.e2eIssued = counts[201] ?? 0;
      figures.e2ePerSec = Math.round((counts[201] ?? 0) / ((last201 - t0) / 1000));
      figures.e2eStatuses = JSON.stringify(counts);
      figures.e2eRows = await countWallet(base, db, 'E2E00001');
      if (Number(figures.e2eRows) > 3000)
        throw new Error(`oversell: ${figures.e2eRows} rows for 3000`);
    });

    await phase('naive baseline (SETNX lock around check-then-insert)', async () => {
      const pool = new Pool({
        host: base.POSTGRES_HOST,
        port: base.POSTGRES_PORT,
        user: base.POSTGRES_USER,
        password: base.POSTGRES_PASSWORD,
        database: naiveDb,
        max: 20,
      });
      const redis = new Redis({
        host: base.REDIS_HOST,
        port: base.REDIS_PORT,
        password: base.REDIS_PASSWORD || undefined,
        keyPrefix: `bench-naive-${RID}:`,
      });
      try {
        const naive = new NaiveIssuer(pool, redis);
        await naive.setup('NAIVE', 10000);
        let n = 0;
        let issued = 0;
        const stopAt = Date.now() + DURATION * 1000;
        const t0 = Date.now();
        await Promise.all(
          Array.from({ length: ISSUERS }, async () => {
            while (Date.now() < stopAt && issued < 10000) {
              if ((await naive.issue('NAIVE', `n-${RID}-${n++}`)) === 'issued') issued++;
            }
          }),
        );
        figures.naivePerSec = Math.round(issued / ((Date.now() - t0) / 1000));
        figures.naiveIssued = issued;
        figures.naiveRows = await naive.count('NAIVE');
      } finally {
        await pool.end();
        redis.disconnect();
      }
    });

    // ---- a swarm, for the chart ----
    await stackPhase('swarm (chart)', async () => {
      await setRate('SWARM001', 300, 50);
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
          const o = await lineOffsets('SWARM001').catch(() => ({
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
        let r = await post('SWARM001', userId);
        const ticket = String(r.body?.ticket);
        const stop = Date.now() + 60_000;
        while (r.status === 307 && Date.now() < stop) {
          await sleep(Math.min(10_000, Math.max(50, Number(r.body?.pollAfterMs ?? 1000))));
          polls++;
          r = await post('SWARM001', userId, ticket);
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
        path.join(ROOT, 'bench', 'swarm-chart.svg'),
        renderChart(
          `Swarm: ${bots} bots arriving at 500/s, line admitting 300/s (run ${RID})`,
          samples,
        ),
      );
    });

    await stackPhase('waiters: SSE vs polling, gateway CPU and RSS', () =>
      waitersPhase({
        env,
        gw,
        pg: {
          host: base.POSTGRES_HOST,
          port: base.POSTGRES_PORT,
          user: base.POSTGRES_USER,
          password: base.POSTGRES_PASSWORD,
          database: db,
        },
        figures,
        log,
        start,
        freePort,
        waitReady,
        setRate,
        rid: RID,
      }),
    );

    // ---- infrastructure limits ----
    await phase('Kafka ProducerPerformance (scratch topic)', async () => {
      const topic = `bench-perf-${RID}`; // outside the line prefix: not a line
      cleanups.push(async () => (await kafka.admin()).deleteTopics({ topics: [topic] }));
      const a = await kafka.admin();
      await a.createTopics({
        topics: [{ topic, numPartitions: 1, replicationFactor: 1 }],
        waitForLeaders: true,
      });
      figures.kafkaScratch = await producerPerf(topic, 500_000, ['--record-size', '100']);
    });

    await phase('redis-benchmark', async () => {
      const { stdout } = await run('redis-benchmark', [
        '-h',
        base.REDIS_HOST,
        '-p',
        String(base.REDIS_PORT),
        '--dbnum',
        '15',
        '-t',
        'set,get',
        '-n',
        '100000',
        '-c',
        '50',
        '--csv',
      ]);
      for (const line of stdout.split('\n')) {
        const m = /^"(SET|GET)","([\d.]+)"/.exec(line);
        if (m) figures[`redis${m[1]}`] = Math.round(Number(m[2]));
      }
      await run('redis-cli', [
        '-h',
        base.REDIS_HOST,
        '-p',
        String(base.REDIS_PORT),
        '-n',
        '15',
        'DEL',
        'key:__rand_int__',
      ]);
    });
  } finally {
    clearTimeout(watchdog);
    await cleanup();
  }
  figures.totalSeconds = Math.round((Date.now() - started) / 1000);
  const out = ONLY.length ? path.join(LOGS, 'BENCHMARKS.md') : path.join(ROOT, 'BENCHMARKS.md');
  writeFileSync(out, report());
  log(`wrote ${path.relative(ROOT, out)} in ${figures.totalSeconds}s`);
  if (failures.length) {
    log(`phases that failed:\n  ${failures.join('\n  ')}`);
    process.exitCode = 1;
  }
}

let cleanup: () => Promise<void> = async () => undefined;

async function countWallet(
  base: ReturnType<typeof loadEnv>,
  db: string,
  code: string,
): Promise<number> {
  const c = new Client({
    host: base.POSTGRES_HOST,
    port: base.POSTGRES_PORT,
    user: base.POSTGRES_USER,
    password: base.POSTGRES_PASSWORD,
    database: db,
  });
  await c.connect();
  try {
    const { rows } = await c.query<{ n: string }>(
      'SELECT count(*) AS n FROM coupon_wallet WHERE coupon_code = $1',
      [code],
    );
    return Number(rows[0].n);
  } finally {
    await c.end();
  }
}

function report(): string {
  const f = (k: string, unit = '') =>
    figures[k] === undefined || Number.isNaN(figures[k]) ? 'n/a' : `${figures[k]}${unit}`;
  const ratio = (a: string, b: string) =>
    figures[a] !== undefined && figures[b] !== undefined
      ? (Number(figures[a]) / Number(figures[b])).toFixed(1)
      : 'n/a';
  return `# Benchmarks

Written by \`npm run bench\` (scripts/bench.sh -> dist/bench/main.js); every figure below comes
from that one run. Do not edit by hand: run it again.

- Date: ${f('date')}; total run time ${f('totalSeconds', ' s')}
- Machine: ${f('nproc')} CPUs (${f('cpu')}), ${f('memGiB', ' GiB')} memory, Node ${f('node')}
- Command: \`${ONLY.length ? `BENCH_ONLY=${ONLY.join(',')} ` : ''}npm run bench\` (autocannon ${CONNECTIONS} connections x ${DURATION} s per HTTP figure after a 2 s warm-up, loopback only;
  the bench starts its own gateway, admitter, coupon service and baseline app, with their own
  Redis prefix, Kafka topics, consumer group and databases, and removes them afterwards)
- Everything (Kafka, Redis, PostgreSQL, the apps and the load generator) shares the same ${f('nproc')} cores.

## HTTP throughput against a bare route of the same stack

The baseline is a one-route app built with the project's \`createHttpApp\` (Fastify, validation,
exception filter, pino), answering a POST with the same JSON body at once. Only correct answers count
(307 with a ticket for enqueue and poll).

| what | req/s | p50 ms | p99 ms | of baseline | target |
| --- | ---: | ---: | ---: | ---: | ---: |
| bare route (baseline) | ${f('bareRps')} | ${f('bareP50')} | ${f('bareP99')} | 100% | |
| enqueue: first request, unique userIds (Kafka acks=all) | ${f('enqueueRps')} | ${f('enqueueP50')} | ${f('enqueueP99')} | ${f('enqueueRatio')} | >= 40% |
| poll: re-POST with the ticket, not yet admitted | ${f('pollRps')} | ${f('pollP50')} | ${f('pollP99')} | ${f('pollRatio')} | >= 70% |

Answers other than 307: enqueue ${f('enqueueOther')}, poll ${f('pollOther')}.
${lineStateSection(figures, CONNECTIONS, DURATION)}
## Poll latency does not grow with the line

One ticket at the tail of a line, polled by 10 connections for ${DURATION} s. The line was filled with
Kafka's own ProducerPerformance (ticket-shaped records, acks=all) between a head and a tail ticket.

| tickets in line | ahead (gateway) | line in Kafka (end - committed) | poll p50 ms | poll p99 ms | polls/s | gateway RSS MiB |
| ---: | ---: | ---: | ---: | ---: | ---: | ---: |
| 1,000 | ${f('smallAhead')} | ${f('smallKafkaLine')} | ${f('smallP50')} | ${f('smallP99')} | ${f('smallRps')} | ${f('smallRss')} |
| ${FILL_BIG.toLocaleString('en')} | ${f('bigAhead')} | ${f('bigKafkaLine')} | ${f('bigP50')} | ${f('bigP99')} | ${f('bigRps')} | ${f('bigRss')} |

Ratio long/short: p50 ${f('latencyRatioP50')}, p99 ${f('latencyRatioP99')} (target <= 1.2).

## Coupons issued per second

| path | issued/s | issued | rows in PostgreSQL | notes |
| --- | ---: | ---: | ---: | --- |
| naive baseline: Redis SETNX lock around check-then-insert (bench/naive-issuer.ts) | ${f('naivePerSec')} | ${f('naiveIssued')} | ${f('naiveRows')} | ${ISSUERS} concurrent callers, ${DURATION} s cap |
| coupon service directly (TCP ClientProxy, ${ISSUERS} in flight, 12,000 users for 10,000) | ${f('directPerSec')} | ${f('directIssued')} | ${f('directRows')} | outcomes ${f('directOutcomes')}, remaining ${f('directRemaining')} |
| end to end through the gateway, admitted tickets (${ISSUERS} in flight, 3,000 for 3,000) | ${f('e2ePerSec')} | ${f('e2eIssued')} | ${f('e2eRows')} | statuses ${f('e2eStatuses')} |

Direct vs naive: ${ratio('directPerSec', 'naivePerSec')}x; end to end vs naive: ${ratio('e2ePerSec', 'naivePerSec')}x.
The write-ups this grew from report 60-180 issues/s; the target here is >= 2,000/s with zero oversell
(rows in PostgreSQL never exceed the quantity).

## Infrastructure limits on this machine

- Kafka ProducerPerformance (same jars as the broker, acks=all), 500,000 records of 100 bytes on a scratch topic: ${f('kafkaScratch')}
- the same tool filling the long line (${FILL_BIG.toLocaleString('en')} ticket-shaped records, acks=all): ${f('kafkaPerf')}
- redis-benchmark (50 clients, 100,000 requests, db 15): SET ${f('redisSET')}/s, GET ${f('redisGET')}/s

## A swarm over time

![line length, admissions and polls](bench/swarm-chart.svg)

${f('swarmBots')} bots arrived at 500/s at a line admitting 300/s (burst 50) and polled as told by
pollAfterMs; ${f('swarmPolls')} polls in ${f('swarmSeconds', ' s')}; final answers ${f('swarmStatuses')}. Sampled every 250 ms from Kafka
(line length = end offset - the admitter group's committed offset; admissions/s = its rate of change).
${waitersSection(figures)}${failures.length ? `\n## Phases that failed in this run\n\n${failures.map((x) => `- ${x}`).join('\n')}\n` : ''}`;
}

main().catch(async (e) => {
  log(`FAILED: ${(e as Error).stack ?? e}`);
  await cleanup().catch(() => undefined);
  process.exit(1);
});

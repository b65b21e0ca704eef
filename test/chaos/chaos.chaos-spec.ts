// The chaos suite (`npm run chaos`; `CHAOS_SHORT=1` is the smaller run CI
// does): real Kafka, Redis and PostgreSQL, loopback only, bounded in count and
// time. Each scenario breaks one part under load, then checks the invariants
// and records a row of the table written to docs/chaos.md.
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CouponView } from '@app/contracts';
import { KafkaClient } from '@app/kafka';
import { lineTopic, RedisKeys } from '@app/queue';
import { REDIS } from '@app/redis';
import { spawnAdmitter, startAdmitter } from '../support/admitter-harness';
import { CouponInstance, CouponTestWorld } from '../support/coupon-harness';
import {
  dropKafkaPrefix,
  dropRedisPrefix,
  FakeCouponService,
  gatewayEnv,
  startFakeCouponService,
  startGateway,
  waitFor,
} from '../support/gateway-harness';
import { KafkaBroker } from '../support/kafka-broker';
import { RedisServer } from '../support/redis-server';
import { ROOT } from '../support/common';

jest.setTimeout(600_000);

const SHORT = process.env.CHAOS_SHORT === '1';
const size = (short: number, full: number) => (SHORT ? short : full);

interface Row {
  scenario: string;
  load: string;
  fault: string;
  lost: number;
  oversell: number;
  duplicates: number;
  recovery: string;
}
const rows: Row[] = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const seconds = (ms: number) => (ms / 1000).toFixed(1);

/** Runs `count` jobs with at most `concurrency` at once. */
async function pool(count: number, concurrency: number, job: (i: number) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await job(next++);
    }),
  );
}

async function listen(app: NestFastifyApplication, port = 0): Promise<string> {
  await app.listen(port, '127.0.0.1');
  return `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
}

const post = (url: string, body: unknown, ticket?: string) =>
  fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(ticket ? { 'x-queue-ticket': ticket } : {}),
    },
    body: JSON.stringify(body),
    redirect: 'manual',
  });

afterAll(() => {
  const table = [
    '| scenario | load held | fault | lost tickets | oversell | duplicates | recovery |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...rows.map(
      (r) =>
        `| ${r.scenario} | ${r.load} | ${r.fault} | ${r.lost} | ${r.oversell} | ${r.duplicates} | ${r.recovery} |`,
    ),
  ].join('\n');
  process.stdout.write(`\n${table}\n`);
  const doc = `# Chaos suite: the latest run

Written by \`npm run chaos\`${SHORT ? ' (`CHAOS_SHORT=1`, the CI size)' : ''} on ${new Date().toISOString().slice(0, 10)}, on the
project's 2-core machine, against the real Kafka, Redis and PostgreSQL (loopback only).
Each scenario breaks one part under load and checks the invariants afterwards; the suite
fails if any count below is not zero. Scenarios: \`test/chaos/chaos.chaos-spec.ts\`.

${table}

- **lost tickets**: answered 307 but not in Kafka (Kafka), or admitted twice / never
  decided (admitter), or skipped as abandoned because the gateways went quiet.
- **oversell**: coupons issued beyond the quantity; **duplicates**: a user holding two.
- **recovery**: from the part being back to the first success.
`;
  writeFileSync(join(ROOT, SHORT ? 'reports/chaos.md' : 'docs/chaos.md'), doc);
});

describe('chaos: kill -9 the Kafka broker in the middle of a burst of first requests', () => {
  const LINE = 'A0001';
  let broker: KafkaBroker;
  let coupons: FakeCouponService;
  let app: NestFastifyApplication | undefined;
  let env: ReturnType<typeof gatewayEnv>;

  beforeAll(async () => {
    broker = await KafkaBroker.create();
    await broker.start();
    coupons = await startFakeCouponService([{ code: LINE, quantity: 100 }]);
    env = gatewayEnv({
      KAFKA_BROKERS: broker.brokers,
      COUPON_SERVICE_PORT: String(coupons.port),
      LINE_PARTITIONS: '1',
    });
  });
  afterAll(async () => {
    if (app) await dropRedisPrefix(app.get(REDIS), env.REDIS_KEY_PREFIX);
    await app?.close();
    await coupons?.close();
    await broker?.destroy(); // the private broker and its topics go with it
  });

  it('answers 307 only for what Kafka wrote, 503 + Retry-After otherwise, and recovers by itself', async () => {
    app = await startGateway(env);
    const base = await listen(app);
    const url = `${base}/api/coupons/${LINE}/issue`;
    await waitFor(
      async () => (await post(url, { userId: 'first' })).status === 307,
      60_000,
      'first',
    );

    const total = size(600, 3000);
    const answered = new Map<string, number>();
    const statuses = new Map<number, number>();
    let missingRetryAfter = 0;
    let backAt = 0;
    let firstAfter = 0;
    let killed = false;
    await pool(total, 25, async (i) => {
      if (!killed && i >= total / 3) {
        killed = true;
        await broker.kill();
        // back after 3 s, while the burst goes on
        void sleep(3000)
          .then(() => broker.start())
          .then(() => (backAt = Date.now()));
      }
      const res = await post(url, { userId: `k-${i}` });
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      if (res.status === 307) {
        const body = (await res.json()) as { uuid: string };
        answered.set(body.uuid, i);
        if (backAt && !firstAfter) firstAfter = Date.now();
      } else {
        await res.arrayBuffer();
        if (res.status === 503 && !(Number(res.headers.get('retry-after')) >= 1)) {
          missingRetryAfter++;
        }
        // Not answered yet: slow down a little while Kafka is away (a client honours Retry-After).
        await sleep(50);
      }
    });
    if (!backAt) await waitFor(() => backAt, 60_000, 'the broker back');
    // After the burst, new requests succeed without restarting anything.
    await waitFor(
      async () => {
        const res = await post(url, { userId: `after-${randomUUID()}` });
        if (res.status !== 307) return false;
        firstAfter ||= Date.now();
        return true;
      },
      60_000,
      'a first request to succeed again',
      200,
    );

    // Every uuid answered 307 is in Kafka.
    const kafka = app.get(KafkaClient);
    const admin = await kafka.admin();
    const topic = lineTopic(env.KAFKA_TOPIC_PREFIX, LINE);
    const [end] = await admin.fetchTopicOffsets(topic);
    const inKafka = new Set<string>();
    const consumer = kafka.kafka.consumer({ groupId: `chaos-${randomUUID()}` });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => void inKafka.add(message.key!.toString()),
    });
    await waitFor(() => inKafka.size >= Number(end.high), 60_000, 'every record read', 100);
    await consumer.disconnect();
    const lost = [...answered.keys()].filter((u) => !inKafka.has(u));

    const other = [...statuses.keys()].filter((s) => s !== 307 && s !== 503);
    expect(other).toEqual([]);
    expect(missingRetryAfter).toBe(0);
    expect(lost).toEqual([]);
    expect(statuses.get(503) ?? 0).toBeGreaterThan(0); // the fault really hit the burst
    expect((await fetch(`${base}/health/live`)).status).toBe(200);
    const recovery = firstAfter - backAt;
    expect(recovery).toBeLessThan(30_000);
    rows.push({
      scenario: 'Kafka broker kill -9 mid-burst',
      load: `${total} first requests, 25 at once`,
      fault: `broker down 3 s (${statuses.get(503) ?? 0} answered 503)`,
      lost: lost.length,
      oversell: 0,
      duplicates: 0,
      recovery: `${seconds(recovery)} s to the first 307`,
    });
  });
});

describe('chaos: kill -9 Redis (AOF every second) in the middle of issuing', () => {
  const CODE = SHORT ? 'A0001' : 'B0001';
  const world = new CouponTestWorld();
  const instances: CouponInstance[] = [];
  let redis: RedisServer;
  let client: Redis;

  beforeAll(async () => {
    redis = await RedisServer.create();
    await redis.start();
    client = new Redis({ port: redis.port, host: '127.0.0.1', maxRetriesPerRequest: 1 });
    client.on('error', () => undefined);
    await world.setUp(2);
    const env = {
      REDIS_PORT: String(redis.port),
      REDIS_PASSWORD: '',
      COUPON_LOCK_TTL_MS: '1000',
      COUPON_RECONCILE_INTERVAL_MS: '500',
    };
    for (let i = 0; i < 2; i++) instances.push(new CouponInstance(world, env));
    await Promise.all(instances.map((i) => i.start()));
  });
  afterAll(async () => {
    await Promise.all(instances.map((i) => i.stop()));
    client?.disconnect();
    await world.tearDown();
    await redis?.destroy();
  });

  it('never oversells or duplicates, and the stock it shows converges to PostgreSQL', async () => {
    const quantity = (await instances[0]!.send<CouponView[]>('coupon.list', {})).find(
      (c) => c.code === CODE,
    )!.quantity;
    const users = Math.round(quantity * 1.5);
    const pgCount = async () => (await world.pgHolders(CODE)).length;
    let killed = false;
    let backAt = 0;
    let firstAfter = 0;
    const outcomes = new Map<string, number>();
    // A third of the stock issued, then Redis dies; back 2 s later from its AOF.
    const fault = (async () => {
      await waitFor(async () => (await pgCount()) >= quantity / 3, 120_000, 'a third issued', 20);
      killed = true;
      await redis.kill();
      await sleep(2000);
      await redis.start();
      backAt = Date.now();
    })();
    await pool(users, 40, async (i) => {
      const userId = `r-${i}`;
      for (let attempt = 0; attempt < 400; attempt++) {
        const result = await instances[i % 2]!.issue({ code: CODE, userId }, 10_000).catch(
          () => null,
        );
        if (result && result.outcome !== 'busy') {
          outcomes.set(result.outcome, (outcomes.get(result.outcome) ?? 0) + 1);
          if (result.outcome === 'issued' && backAt && !firstAfter) firstAfter = Date.now();
          return;
        }
        await sleep(100 + Math.random() * 100);
      }
      throw new Error(`${userId} never got a final answer`);
    });
    await fault;
    expect(killed).toBe(true);

    const issued = await pgCount();
    const duplicates = await world.duplicateHolders();
    expect(issued).toBeLessThanOrEqual(quantity);
    expect(duplicates).toBe(0);
    expect(issued).toBe(quantity); // more users than stock: it all went, to distinct users
    // The read API's stock equals quantity minus PostgreSQL's rows within the reconcile interval.
    await waitFor(
      async () => {
        const view = (await instances[1]!.send<CouponView[]>('coupon.list', {})).find(
          (c) => c.code === CODE,
        )!;
        return view.remaining === quantity - issued;
      },
      10_000,
      'the read API to show quantity minus PostgreSQL rows',
      100,
    );
    rows.push({
      scenario: 'Redis kill -9 mid-issue (AOF everysec, restarted)',
      load: `${users} users for ${quantity} coupons, 40 at once, 2 instances`,
      fault: 'Redis down 2 s, restarted from its AOF',
      lost: 0,
      oversell: Math.max(0, issued - quantity),
      duplicates,
      recovery: firstAfter
        ? `${seconds(firstAfter - backAt)} s to the first issue`
        : 'sold out before',
    });
  });
});

describe('chaos: kill -9 the admitter and the coupon service in the middle of a line', () => {
  const LINE = 'B0001';
  const world = new CouponTestWorld();
  let coupon: CouponInstance;
  let app: NestFastifyApplication | undefined;
  let env: ReturnType<typeof gatewayEnv>;

  beforeAll(async () => {
    await world.setUp(2);
  });
  afterAll(async () => {
    if (app) await dropKafkaPrefix(await app.get(KafkaClient).admin(), env.KAFKA_TOPIC_PREFIX);
    await app?.close();
    await coupon?.stop();
    await world.tearDown();
  });

  it('admits nobody twice, issues once per user, and resumes after each kill', async () => {
    const users = size(120, 500);
    coupon = new CouponInstance(world, { COUPON_LOCK_TTL_MS: '1000' });
    await coupon.start();
    env = gatewayEnv({
      COUPON_SERVICE_PORT: String(coupon.tcpPort),
      LINE_PARTITIONS: '2',
      REDIS_KEY_PREFIX: world.redisPrefix,
    });
    app = await startGateway(env);
    const base = await listen(app);
    const redis = app.get<Redis>(REDIS);
    await redis.hset(RedisKeys.lineSettings(LINE), { ratePerSec: size(30, 60), burst: 5 });
    let admitter = spawnAdmitter(env);

    const url = `${base}/api/coupons/${LINE}/issue`;
    const finals = new Map<string, number>();
    let admitterBack = 0;
    let couponBack = 0;
    let admissionResumed = 0;
    let firstAfterCoupon = 0;
    const admitted = async () => (await redis.xlen(RedisKeys.lineAdmissions(LINE))) as number;
    const chaos = (async () => {
      await waitFor(async () => (await admitted()) >= users / 3, 120_000, 'a third admitted', 100);
      admitter.child.kill('SIGKILL');
      await admitter.exited;
      const before = await admitted();
      admitter = spawnAdmitter(env);
      admitterBack = Date.now();
      // Admission resumes when the new process has joined the group and decides again.
      await waitFor(async () => (await admitted()) > before, 60_000, 'admission to resume', 50);
      admissionResumed = Date.now();
      await waitFor(async () => (await admitted()) >= (2 * users) / 3, 120_000, 'two thirds', 100);
      await coupon.kill9();
      await sleep(1000);
      await coupon.start();
      couponBack = Date.now();
    })();

    await Promise.all(
      Array.from({ length: users }, async (_, i) => {
        const userId = `l-${i}`;
        let ticket: string | undefined;
        for (let attempt = 0; attempt < 2000; attempt++) {
          const res = await post(url, { userId }, ticket).catch(() => null);
          if (res?.status === 307) {
            const body = (await res.json()) as { ticket: string; pollAfterMs: number };
            ticket = body.ticket;
            await sleep(Math.min(2000, Math.max(300, body.pollAfterMs)));
            continue;
          }
          if (res && res.status !== 503) {
            await res.arrayBuffer();
            finals.set(userId, res.status);
            const now = Date.now();
            if (couponBack && !firstAfterCoupon && now > couponBack) firstAfterCoupon = now;
            return;
          }
          await res?.arrayBuffer();
          await sleep(500);
        }
        throw new Error(`${userId} never got a final answer`);
      }),
    );
    await chaos;
    admitter.child.kill('SIGKILL');
    await admitter.exited;

    const log = await redis.xrange(RedisKeys.lineAdmissions(LINE), '-', '+');
    const uuids = log.map(([, f]) => f[1]);
    const twice = uuids.length - new Set(uuids).size;
    const issued = await world.pgHolders(LINE);
    const duplicates = await world.duplicateHolders();
    expect(twice).toBe(0);
    expect(duplicates).toBe(0);
    expect([...finals.values()].filter((s) => s !== 201 && s !== 409)).toEqual([]);
    expect(issued).toHaveLength(users);
    rows.push({
      scenario: 'admitter and coupon service kill -9 mid-line',
      load: `${users} waiters polling, 2 partitions`,
      fault: 'admitter killed at 1/3 (restarted), coupon service at 2/3 (down 1 s)',
      lost: twice,
      oversell: 0,
      duplicates,
      recovery: `admissions again ${seconds(admissionResumed - admitterBack)} s after the admitter restarted; an issue ${seconds(firstAfterCoupon - couponBack)} s after the coupon service was back`,
    });
  });
});

describe('chaos: every gateway stops for longer than the abandon window', () => {
  const LINE = 'A0001';
  const ABANDON = 3;
  let coupons: FakeCouponService;

  beforeAll(async () => {
    coupons = await startFakeCouponService([{ code: LINE, quantity: 10_000 }]);
  });
  afterAll(async () => {
    await coupons?.close();
  });

  it('abandons nobody: the line pauses while no heartbeat reaches Redis', async () => {
    const users = size(60, 300);
    const env = gatewayEnv({
      COUPON_SERVICE_PORT: String(coupons.port),
      LINE_PARTITIONS: '1',
      ABANDON_AFTER_SECONDS: String(ABANDON),
    });
    let app = await startGateway(env);
    const base = await listen(app);
    const port = Number(new URL(base).port);
    const url = `${base}/api/coupons/${LINE}/issue`;
    const redis = new Redis({
      host: env.REDIS_HOST,
      port: env.REDIS_PORT,
      keyPrefix: env.REDIS_KEY_PREFIX,
    });
    await redis.hset(RedisKeys.lineSettings(LINE), { ratePerSec: 0, burst: 1 }); // paused
    const admitter = await startAdmitter(env);

    let joined = 0;
    const finals = new Map<string, number>();
    const waiters = Array.from({ length: users }, async (_, i) => {
      const userId = `g-${i}`;
      let ticket: string | undefined;
      for (let attempt = 0; attempt < 2000; attempt++) {
        const res = await post(url, { userId }, ticket).catch(() => null);
        if (res?.status === 307) {
          if (!ticket) joined++;
          ticket = ((await res.json()) as { ticket: string }).ticket;
        } else if (res && res.status !== 503) {
          await res.arrayBuffer();
          finals.set(userId, res.status);
          return;
        } else {
          await res?.arrayBuffer();
        }
        await sleep(500);
      }
      throw new Error(`${userId} never got a final answer`);
    });
    await waitFor(() => joined === users, 60_000, 'every waiter in line', 100);

    // Every gateway stops, for twice the abandon window.
    await app.close();
    const down = Date.now();
    await waitFor(() => Date.now() > down + 2 * ABANDON * 1000, 3 * ABANDON * 1000, 'the outage');
    app = await startGateway(env);
    await listen(app, port);
    const backAt = Date.now();
    await redis.hset(RedisKeys.lineSettings(LINE), { ratePerSec: 50, burst: 10 });
    await Promise.all(waiters);
    const stats = await redis.hgetall(RedisKeys.lineStats(LINE));
    const abandoned = Number(stats.skippedAbandoned ?? 0);
    expect(abandoned).toBe(0);
    expect([...finals.values()].filter((s) => s !== 201)).toEqual([]);
    rows.push({
      scenario: 'every gateway stopped past the abandon window',
      load: `${users} waiters polling every 0.5 s`,
      fault: `no gateway for ${2 * ABANDON} s (abandon window ${ABANDON} s)`,
      lost: abandoned,
      oversell: 0,
      duplicates: 0,
      recovery: `${seconds(Date.now() - backAt)} s to admit all ${users}`,
    });
    await admitter.close();
    await dropKafkaPrefix(await app.get(KafkaClient).admin(), env.KAFKA_TOPIC_PREFIX);
    await dropRedisPrefix(app.get(REDIS), env.REDIS_KEY_PREFIX);
    await app.close();
    redis.disconnect();
  });
});

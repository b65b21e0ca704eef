// Many first requests at once on a line with several partitions: the
// micro-batcher hands every caller a distinct offset equal to Kafka's, each
// batch goes to one partition (round robin over batches), each partition's
// numbers follow its own committed offset, and the admitter admits in the
// order the gateway's batcher received the arrivals.
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { register } from 'prom-client';
import request from 'supertest';
import { Env } from '@app/config';
import { KafkaClient, TicketLog } from '@app/kafka';
import { lineTopic, RedisKeys, TicketRecord } from '@app/queue';
import { REDIS } from '@app/redis';
import { HeartbeatBuffer } from '../../apps/queue-gateway/src/queue/heartbeat-buffer';
import { startAdmitter } from '../support/admitter-harness';
import {
  dropKafkaPrefix,
  dropRedisPrefix,
  FakeCouponService,
  gatewayEnv,
  startFakeCouponService,
  startGateway,
  waitFor,
} from '../support/gateway-harness';

jest.setTimeout(90_000);

const LINE = 'P0001';
const PARTITIONS = 3;
const USERS = 90;

describe('queue gateway with several partitions and concurrent arrivals', () => {
  let coupons: FakeCouponService;
  let env: Env;
  let app: NestFastifyApplication;
  const http = () => request(app.getHttpServer());
  const topic = () => lineTopic(env.KAFKA_TOPIC_PREFIX, LINE);

  beforeAll(async () => {
    coupons = await startFakeCouponService([{ code: LINE, quantity: 1000 }]);
    env = gatewayEnv({
      COUPON_SERVICE_PORT: String(coupons.port),
      LINE_PARTITIONS: String(PARTITIONS),
      ENQUEUE_LINGER_MS: '5',
      ENQUEUE_MAX_BATCH: '7', // many small batches: they land on every partition
    });
    app = await startGateway(env);
    await waitFor(
      async () => (await http().get('/api/coupons')).status === 200,
      10_000,
      'catalogue',
    );
  });

  afterAll(async () => {
    const admin = await app.get(KafkaClient).admin();
    await dropKafkaPrefix(admin, env.KAFKA_TOPIC_PREFIX);
    await dropRedisPrefix(app.get(REDIS), env.REDIS_KEY_PREFIX);
    await app.close();
    await coupons.close();
  });

  it('gives concurrent arrivals distinct offsets, a batch per partition, through the batcher', async () => {
    // Create the topic first so that all arrivals below race for the producer, not for the topic.
    const first = await http().post(`/api/coupons/${LINE}/issue`).send({ userId: 'u-first' });
    expect(first.status).toBe(307);
    const before = await batchStats();

    // Real concurrency: one listening server, all requests in flight at once.
    await app.listen(0, '127.0.0.1');
    const url = `${await app.getUrl()}/api/coupons/${LINE}/issue`;
    const answers = await Promise.all(
      Array.from({ length: USERS }, async (_, i) => {
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ userId: `u-${i}` }),
          redirect: 'manual',
        });
        return { status: res.status, body: await res.json() };
      }),
    );
    for (const a of answers) expect(a.status).toBe(307);
    const all = [first, ...answers].map(
      (a) => a.body as { partition: number; offset: number; uuid: string },
    );

    // Batches of at most 7 round robin: every partition got some, offsets 0..n-1 without gaps or duplicates.
    const admin = await app.get(KafkaClient).admin();
    const ends = await admin.fetchTopicOffsets(topic());
    expect(ends).toHaveLength(PARTITIONS);
    for (let p = 0; p < PARTITIONS; p++) {
      const offsets = all
        .filter((t) => t.partition === p)
        .map((t) => t.offset)
        .sort((a, b) => a - b);
      expect(offsets.length).toBeGreaterThan(0);
      expect(offsets).toEqual(offsets.map((_, i) => i));
      expect(Number(ends.find((e) => e.partition === p)!.high)).toBe(offsets.length);
    }
    expect(new Set(all.map((t) => t.uuid)).size).toBe(USERS + 1);
    // Every record went through the micro-batcher (how many per batch depends on the load).
    const after = await batchStats();
    expect(after.sum - before.sum).toBe(USERS);
    expect(after.count - before.count).toBeLessThanOrEqual(USERS);

    // Each record really is at the offset its 307 named (key = uuid).
    const records = await readKeys(
      admin,
      ends.map((e) => ({ partition: e.partition, high: Number(e.high) })),
    );
    for (const t of all) expect(records.get(`${t.partition}/${t.offset}`)).toBe(t.uuid);
  });

  it("follows each partition's own committed offset", async () => {
    const admin = await app.get(KafkaClient).admin();
    await admin.setOffsets({
      groupId: env.ADMITTER_GROUP_ID,
      topic: topic(),
      partitions: [{ partition: 1, offset: '10' }],
    });
    const mine = await http().post(`/api/coupons/${LINE}/issue`).send({ userId: 'late' });
    expect(mine.status).toBe(307);
    const ticket = mine.body.ticket as string;
    const seen = await waitFor(
      async () => {
        const res = await http()
          .get(`/api/queue/tickets/${mine.body.uuid}`)
          .set('X-Queue-Ticket', ticket);
        return mine.body.partition !== 1 || res.body.committedOffset === 10 ? res : false;
      },
      10_000,
      'committed offset of partition 1',
    );
    const [committed] = await admin.fetchOffsets({
      groupId: env.ADMITTER_GROUP_ID,
      topics: [topic()],
    });
    const c = Number(committed.partitions.find((p) => p.partition === mine.body.partition)!.offset);
    expect(seen.body.committedOffset).toBe(Math.max(0, c));
    expect(seen.body.ahead).toBe(mine.body.offset - Math.max(0, c));
    expect(seen.body.status).toBe('waiting');
  });

  it('admits in the order the batcher received the arrivals, across partitions and same-millisecond batches', async () => {
    const line = 'P0002';
    const log = app.get(TicketLog);
    const beats = app.get(HeartbeatBuffer);
    const admitter = await startAdmitter(env);
    try {
      // 300 arrivals in one tick, in a known order: 43 batches of at most 7, one
      // after the other, round robin over the partitions; consecutive batches
      // are often appended within the same millisecond.
      const uuids = Array.from({ length: 300 }, () => randomUUID());
      const positions = await Promise.all(
        uuids.map((uuid) => {
          beats.touch(uuid);
          const record: TicketRecord = { uuid, line, userId: `o-${uuid}`, issuedAt: Date.now() };
          return log.append({
            topic: lineTopic(env.KAFKA_TOPIC_PREFIX, line),
            key: uuid,
            value: JSON.stringify(record),
          });
        }),
      );
      expect(new Set(positions.map((p) => p.partition)).size).toBe(PARTITIONS);
      await app.get(REDIS).hset(RedisKeys.lineSettings(line), { ratePerSec: 5000, burst: 500 });
      const redis = app.get<Redis>(REDIS);
      const admitted = await waitFor(
        async () => {
          const entries = await redis.xrange(RedisKeys.lineAdmissions(line), '-', '+');
          return entries.length >= uuids.length ? entries.map(([, f]) => f[1]) : false;
        },
        30_000,
        'every arrival admitted',
        100,
      );
      expect(admitted).toEqual(uuids);
    } finally {
      await admitter.close();
    }
  });

  async function batchStats(): Promise<{ count: number; sum: number }> {
    const metric = await register.getSingleMetric('queue_produce_batch_size')!.get();
    const value = (name: string) =>
      metric.values.find((v) => (v as { metricName?: string }).metricName === name)?.value ?? 0;
    return {
      count: value('queue_produce_batch_size_count'),
      sum: value('queue_produce_batch_size_sum'),
    };
  }

  /** Reads every record key of the topic with a throw-away consumer from the gateway's own client. */
  async function readKeys(
    _admin: unknown,
    partitions: Array<{ partition: number; high: number }>,
  ): Promise<Map<string, string>> {
    const consumer = app
      .get(KafkaClient)
      .kafka.consumer({ groupId: `${env.ADMITTER_GROUP_ID}-reader` });
    const keys = new Map<string, string>();
    const total = partitions.reduce((s, p) => s + p.high, 0);
    await consumer.connect();
    try {
      await consumer.subscribe({ topic: topic(), fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ partition, message }) => {
          keys.set(`${partition}/${message.offset}`, message.key!.toString());
        },
      });
      await waitFor(() => keys.size >= total, 30_000, 'all records read');
    } finally {
      await consumer.disconnect();
    }
    return keys;
  }
});

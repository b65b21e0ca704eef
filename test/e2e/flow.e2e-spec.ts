// The whole product, end to end: the gateway and the admitter in-process, the
// coupon service as a real process, all on the real Kafka, Redis and PostgreSQL.
// One small event (3 coupons, 5 people) walked through enqueue, cancellation,
// FIFO admission, issue, sold out, spent tickets and the read API.
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import type Redis from 'ioredis';
import request from 'supertest';
import { Env } from '@app/config';
import { KafkaClient } from '@app/kafka';
import { lineTopic, RedisKeys } from '@app/queue';
import { REDIS } from '@app/redis';
import { AdmitterHandle, startAdmitter } from '../support/admitter-harness';
import { CouponInstance, CouponTestWorld } from '../support/coupon-harness';
import { dropGatewayState, gatewayEnv, startGateway, waitFor } from '../support/gateway-harness';

jest.setTimeout(120_000);

const LINE = 'FLOW1';
const STOCK = 3;
const USERS = ['ana', 'ben', 'cho', 'dan', 'eve'];

interface QueueAnswer {
  uuid: string;
  partition: number;
  offset: number;
  committedOffset: number;
  endOffset: number;
  ahead: number;
  behind: number;
  pollAfterMs: number;
  ticket: string;
}

describe('waiting room end to end (gateway + admitter + coupon service)', () => {
  const world = new CouponTestWorld();
  let coupons: CouponInstance;
  let env: Env;
  let gateway: NestFastifyApplication;
  let admitter: AdmitterHandle;
  let redis: Redis;
  const http = () => request(gateway.getHttpServer());
  const issue = (userId: string, ticket?: string) => {
    const req = http().post(`/api/coupons/${LINE}/issue`).send({ userId });
    return ticket ? req.set('X-Queue-Ticket', ticket) : req;
  };
  const tickets = new Map<string, QueueAnswer>();

  beforeAll(async () => {
    await world.setUp(2);
    await world.db.query(
      `INSERT INTO coupon (code, name, discount, quantity, max_per_user) VALUES ($1, 'flow test', 500, $2, 1)`,
      [LINE, STOCK],
    );
    coupons = await new CouponInstance(world).start();
    env = gatewayEnv({
      COUPON_SERVICE_PORT: String(coupons.tcpPort),
      ADMISSION_RATE_PER_SEC: '200',
      ADMISSION_BURST: '200',
    });
    gateway = await startGateway(env);
    redis = gateway.get(REDIS);
    await waitFor(
      async () => (await http().get('/api/coupons')).status === 200,
      15_000,
      'catalogue',
    );
  });

  afterAll(async () => {
    await admitter?.close();
    await dropGatewayState(gateway, env);
    await gateway.close();
    await coupons.stop();
    await world.tearDown();
  });

  it('closes the line through the admin API (credential required)', async () => {
    await http().put(`/api/admin/lines/${LINE}`).send({ ratePerSec: 0 }).expect(401);
    await http()
      .put(`/api/admin/lines/${LINE}`)
      .set('Authorization', `Bearer ${env.ADMIN_TOKEN}`)
      .send({ ratePerSec: 0 })
      .expect(200);
    // Started with the line paused, so every ticket is in line before the first admission.
    admitter = await startAdmitter(env);
  });

  it('gives each arrival a place in line: 307 with Kafka offsets, no Location', async () => {
    for (const [i, userId] of USERS.entries()) {
      const res = await issue(userId).expect(307);
      const body = res.body as QueueAnswer;
      expect(res.headers.location).toBeUndefined();
      expect(res.headers['x-queue-ticket']).toBe(body.ticket);
      expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(body).toMatchObject({ partition: 0, offset: i, committedOffset: 0, ahead: i });
      tickets.set(userId, body);
    }
    const admin = await gateway.get(KafkaClient).admin();
    const [kafkaEnd] = await admin.fetchTopicOffsets(lineTopic(env.KAFKA_TOPIC_PREFIX, LINE));
    expect(Number(kafkaEnd.high)).toBe(USERS.length);
    // A later poll sees the same end offset Kafka reports.
    const poll = await waitFor(
      async () => {
        const res = await issue('ana', tickets.get('ana')!.ticket);
        return res.status === 307 && res.body.endOffset === USERS.length ? res : undefined;
      },
      10_000,
      'the view to catch up with the log end',
    );
    expect(poll.body).toMatchObject({ offset: 0, behind: USERS.length - 1 });
  });

  it('lets a holder cancel; the cancelled place spends no stock', async () => {
    const ben = tickets.get('ben')!;
    await http()
      .delete(`/api/queue/tickets/${ben.uuid}`)
      .set('X-Queue-Ticket', tickets.get('ana')!.ticket)
      .expect(403);
    for (let i = 0; i < 2; i++) {
      const res = await http()
        .delete(`/api/queue/tickets/${ben.uuid}`)
        .set('X-Queue-Ticket', ben.ticket)
        .expect(200);
      expect(res.body.status).toBe('cancelled');
    }
  });

  it('admits in arrival order once the line opens, and issues until the stock is gone', async () => {
    await http()
      .put(`/api/admin/lines/${LINE}`)
      .set('Authorization', `Bearer ${env.ADMIN_TOKEN}`)
      .send({ ratePerSec: 200 })
      .expect(200);

    const outcomes: Record<string, number> = {};
    for (const userId of ['ana', 'cho', 'dan', 'eve']) {
      const res = await waitFor(
        async () => {
          const r = await issue(userId, tickets.get(userId)!.ticket);
          return r.status === 307 ? undefined : r;
        },
        30_000,
        `${userId} to be admitted`,
        100,
      );
      outcomes[userId] = res.status;
      if (res.status === 201) expect(res.body).toMatchObject({ couponCode: LINE, userId });
      else expect(res.body.error).toBe('SOLD_OUT');
    }
    expect(outcomes).toEqual({ ana: 201, cho: 201, dan: 201, eve: 410 });

    const cancelled = await issue('ben', tickets.get('ben')!.ticket);
    expect(cancelled.status).toBe(410);
    expect(cancelled.body.error).toBe('TICKET_CANCELLED');

    // The admission log holds the live tickets in offset order; ben was skipped.
    const log = await redis.xrange(RedisKeys.lineAdmissions(LINE), '-', '+');
    const admitted = log.map(([, fields]) => fields[fields.indexOf('uuid') + 1]);
    expect(admitted).toEqual(['ana', 'cho', 'dan', 'eve'].map((u) => tickets.get(u)!.uuid));
  });

  it('spends a pass once and answers late arrivals 410 without queueing them', async () => {
    const again = await issue('ana', tickets.get('ana')!.ticket);
    expect(again.status).toBe(410);
    expect(again.body.error).toBe('TICKET_SPENT');
    const late = await waitFor(
      async () => {
        const r = await issue('fay');
        return r.status === 410 ? r : undefined;
      },
      10_000,
      'the catalogue to show the coupon sold out',
    );
    expect(late.body.error).toBe('SOLD_OUT');
  });

  it('agrees with PostgreSQL, the read API and Kafka afterwards', async () => {
    expect(await world.pgHolders(LINE)).toEqual(['ana', 'cho', 'dan']);
    expect(await world.duplicateHolders()).toBe(0);
    const stock = await waitFor(
      async () => {
        const res = await http().get('/api/coupons').expect(200);
        const flow = (res.body as { code: string; remaining: number }[]).find(
          (c) => c.code === LINE,
        );
        return flow?.remaining === 0 ? flow : undefined;
      },
      10_000,
      'remaining stock 0',
    );
    expect(stock).toMatchObject({ quantity: STOCK, remaining: 0 });
    const wallet = await http().get('/api/users/ana/coupons').expect(200);
    expect(wallet.body).toEqual([expect.objectContaining({ couponCode: LINE, usedAt: null })]);

    // Every ticket in the log was decided: the admitter group's committed offset
    // reached Kafka's log end (fay's first tries were queued while the gateway's
    // catalogue still showed stock: it is refreshed every second).
    const admin = await gateway.get(KafkaClient).admin();
    const topic = lineTopic(env.KAFKA_TOPIC_PREFIX, LINE);
    const committed = await waitFor(
      async () => {
        const [end] = await admin.fetchTopicOffsets(topic);
        const [group] = await admin.fetchOffsets({
          groupId: env.ADMITTER_GROUP_ID,
          topics: [topic],
        });
        const offset = Number(group.partitions[0].offset);
        return offset === Number(end.high) ? offset : undefined;
      },
      15_000,
      'the committed offset to reach the log end',
    );
    expect(committed).toBeGreaterThanOrEqual(USERS.length);
    const status = await http()
      .get(`/api/queue/tickets/${tickets.get('eve')!.uuid}`)
      .set('X-Queue-Ticket', tickets.get('eve')!.ticket)
      .expect(200);
    expect(status.body).toMatchObject({ offset: 4, ahead: 0 });
    expect(status.body.committedOffset).toBeGreaterThanOrEqual(USERS.length);
  });
});

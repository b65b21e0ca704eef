// The gateway against the real Kafka and Redis: the numbers of a 307 are
// Kafka's own, tickets cannot be forged or transferred, cancellation is the
// holder's and idempotent, admitted tickets reach the coupon service once.
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import Redis from 'ioredis';
import request from 'supertest';
import { Env } from '@app/config';
import { KafkaClient } from '@app/kafka';
import { lineTopic, RedisKeys, TicketFields } from '@app/queue';
import { REDIS } from '@app/redis';
import {
  dropKafkaPrefix,
  dropRedisPrefix,
  FakeCouponService,
  gatewayEnv,
  joinLine,
  startFakeCouponService,
  startGateway,
  waitFor,
} from '../support/gateway-harness';

jest.setTimeout(60_000);

const LINE = 'A0001';
const OTHER = 'B0001';

describe('queue gateway (real Kafka and Redis)', () => {
  let coupons: FakeCouponService;
  let env: Env;
  let app: NestFastifyApplication;
  let kafka: KafkaClient;
  let redis: Redis;
  const http = () => request(app.getHttpServer());

  /** A first request, retried on 503 as a client does (a line's topic may still be being made). */
  const enqueue = async (userId: string, line = LINE) => {
    const res = await joinLine(app, line, { userId });
    expect(res.status).toBe(307);
    return res;
  };
  const poll = (ticket: string, userId: string, line = LINE) =>
    http().post(`/api/coupons/${line}/issue`).set('X-Queue-Ticket', ticket).send({ userId });
  const kafkaNumbers = async (line: string, partition: number) => {
    const admin = await kafka.admin();
    const topic = lineTopic(env.KAFKA_TOPIC_PREFIX, line);
    const ends = await admin.fetchTopicOffsets(topic);
    const [committed] = await admin.fetchOffsets({
      groupId: env.ADMITTER_GROUP_ID,
      topics: [topic],
    });
    const c = Number(committed.partitions.find((p) => p.partition === partition)!.offset);
    return {
      endOffset: Number(ends.find((e) => e.partition === partition)!.high),
      committedOffset: c < 0 ? 0 : c,
    };
  };
  /** What an admitter does: commit the group's offset (the next offset to admit). */
  const commit = async (line: string, offset: number) => {
    const admin = await kafka.admin();
    await admin.setOffsets({
      groupId: env.ADMITTER_GROUP_ID,
      topic: lineTopic(env.KAFKA_TOPIC_PREFIX, line),
      partitions: [{ partition: 0, offset: String(offset) }],
    });
  };
  const committedSeen = (ticket: string, userId: string, committedOffset: number) =>
    waitFor(
      async () => {
        const res = await poll(ticket, userId);
        return res.status !== 307 || res.body.committedOffset === committedOffset ? res : false;
      },
      10_000,
      `the view to show committedOffset ${committedOffset}`,
    );

  beforeAll(async () => {
    coupons = await startFakeCouponService([
      { code: LINE, quantity: 100 },
      { code: OTHER, quantity: 100 },
      { code: 'C0001', quantity: 0 },
    ]);
    env = gatewayEnv({ COUPON_SERVICE_PORT: String(coupons.port), LINE_PARTITIONS: '1' });
    app = await startGateway(env);
    kafka = app.get(KafkaClient);
    redis = app.get(REDIS);
    await waitFor(
      async () => (await http().get('/api/coupons')).status === 200,
      10_000,
      'catalogue',
    );
    await waitFor(
      async () =>
        (await http().post(`/api/coupons/${LINE}/issue`).send({ userId: 'warmup' })).status === 307,
      15_000,
      'first enqueue',
    );
  });

  afterAll(async () => {
    const admin = await kafka.admin();
    await dropKafkaPrefix(admin, env.KAFKA_TOPIC_PREFIX);
    await dropRedisPrefix(redis, env.REDIS_KEY_PREFIX);
    await app.close();
    await coupons.close();
  });

  it('answers 307 with Kafka’s own numbers, a signed ticket and Retry-After, and no Location', async () => {
    const a = await enqueue('alice');
    const b = await enqueue('bob');
    expect(a.headers.location).toBeUndefined();
    expect(a.headers['x-queue-ticket']).toBe(a.body.ticket);
    expect(Number(a.headers['retry-after'])).toBe(Math.ceil(a.body.pollAfterMs / 1000));
    expect(b.body.offset).toBe(a.body.offset + 1);
    expect(b.body.partition).toBe(0);
    const k = await kafkaNumbers(LINE, 0);
    expect(b.body).toMatchObject({
      endOffset: k.endOffset,
      committedOffset: k.committedOffset,
      ahead: b.body.offset - k.committedOffset,
      behind: k.endOffset - b.body.offset - 1,
    });
    expect(b.body.endOffset).toBe(b.body.offset + 1);
    // A poll sees the later write too.
    const again = await poll(a.body.ticket, 'alice');
    expect(again.status).toBe(307);
    expect(again.body).toMatchObject({ uuid: a.body.uuid, offset: a.body.offset, behind: 1 });
  });

  it('follows the admitter group’s committed offset, and admitted tickets reach the coupon service once', async () => {
    const c = await enqueue('carol');
    const d = await enqueue('dave');
    await commit(LINE, c.body.offset);
    const seen = await committedSeen(d.body.ticket, 'dave', c.body.offset);
    expect(seen.status).toBe(307);
    const k = await kafkaNumbers(LINE, 0);
    expect(seen.body).toMatchObject({
      committedOffset: k.committedOffset,
      endOffset: k.endOffset,
      ahead: 1,
    });

    // What the admitter does: record the admission in Redis, then commit past it.
    await redis.hset(RedisKeys.ticket(c.body.uuid), TicketFields.admittedAt, Date.now());
    await commit(LINE, c.body.offset + 1);
    const issued = await committedSeen(c.body.ticket, 'carol', c.body.offset + 1);
    expect(issued.status).toBe(201);
    expect(issued.body).toMatchObject({ couponCode: LINE, userId: 'carol' });
    expect(coupons.state.calls.filter((x) => x.userId === 'carol')).toEqual([
      { code: LINE, userId: 'carol', ticketId: c.body.uuid },
    ]);
    expect(await redis.hget(RedisKeys.ticket(c.body.uuid), TicketFields.spent)).toMatch(/^\d+$/);
    const spent = await poll(c.body.ticket, 'carol');
    expect(spent.status).toBe(410);
    expect(spent.body.error).toBe('TICKET_SPENT');
    const status = await http()
      .get(`/api/queue/tickets/${c.body.uuid}`)
      .set('X-Queue-Ticket', c.body.ticket);
    expect(status.status).toBe(200);
    expect(status.body).toMatchObject({ status: 'spent', uuid: c.body.uuid, line: LINE });
    const stillWaiting = await http()
      .get(`/api/queue/tickets/${d.body.uuid}`)
      .set('X-Queue-Ticket', d.body.ticket);
    expect(stillWaiting.body).toMatchObject({ status: 'waiting', ahead: 0 });
    // A spent ticket cannot be cancelled.
    const del = await http()
      .delete(`/api/queue/tickets/${c.body.uuid}`)
      .set('X-Queue-Ticket', c.body.ticket);
    expect(del.status).toBe(409);
  });

  it('maps admitted-ticket states from Redis: abandoned (past the grace window), expired pass', async () => {
    const e = await enqueue('erin');
    const f = await enqueue('frank');
    await redis.hset(RedisKeys.ticket(e.body.uuid), {
      [TicketFields.skipped]: 'abandoned',
      [TicketFields.skippedAt]: Date.now() - (env.ABANDON_GRACE_SECONDS + 1) * 1000,
    });
    await redis.hset(
      RedisKeys.ticket(f.body.uuid),
      TicketFields.admittedAt,
      Date.now() - env.PASS_TTL_SECONDS * 1000 - 1,
    );
    await commit(LINE, f.body.offset + 1);
    const abandoned = await committedSeen(e.body.ticket, 'erin', f.body.offset + 1);
    expect(abandoned.status).toBe(410);
    expect(abandoned.body.error).toBe('TICKET_ABANDONED');
    const expired = await poll(f.body.ticket, 'frank');
    expect(expired.status).toBe(410);
    expect(expired.body.error).toBe('PASS_EXPIRED');
    const status = await http()
      .get(`/api/queue/tickets/${f.body.uuid}`)
      .set('X-Queue-Ticket', f.body.ticket);
    expect(status.body.status).toBe('expired');
    expect(coupons.state.calls.some((x) => x.userId === 'erin' || x.userId === 'frank')).toBe(
      false,
    );
  });

  it('fails closed: a ticket past the committed offset with no admission record is not a pass', async () => {
    const lost = await enqueue('lena');
    // Committed past with nothing in Redis: the state expired or was lost, or the topic is new.
    await commit(LINE, lost.body.offset + 1);
    const res = await committedSeen(lost.body.ticket, 'lena', lost.body.offset + 1);
    expect(res.status).toBe(410);
    expect(res.body.error).toBe('TICKET_LOST');
    const status = await http()
      .get(`/api/queue/tickets/${lost.body.uuid}`)
      .set('X-Queue-Ticket', lost.body.ticket);
    expect(status.body).toMatchObject({ status: 'lost', passExpiresAt: null });
    expect(coupons.state.calls.some((x) => x.userId === 'lena')).toBe(false);
  });

  it('lets only the holder cancel, idempotently, and refuses the cancelled ticket at the head', async () => {
    const g = await enqueue('grace');
    const h = await enqueue('heidi');
    await redis.zadd(RedisKeys.lineActive(LINE), Date.now() + 60_000, g.body.uuid);
    // Heidi's genuine ticket does not cancel Grace's.
    const foreign = await http()
      .delete(`/api/queue/tickets/${g.body.uuid}`)
      .set('X-Queue-Ticket', h.body.ticket);
    expect(foreign.status).toBe(403);
    const noTicket = await http().delete(`/api/queue/tickets/${g.body.uuid}`);
    expect(noTicket.status).toBe(401);
    for (let i = 0; i < 2; i++) {
      const res = await http()
        .delete(`/api/queue/tickets/${g.body.uuid}`)
        .set('X-Queue-Ticket', g.body.ticket);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ uuid: g.body.uuid, status: 'cancelled' });
    }
    const first = await redis.hget(RedisKeys.ticket(g.body.uuid), TicketFields.cancelled);
    expect(first).toMatch(/^\d+$/);
    expect(await redis.zscore(RedisKeys.lineActive(LINE), g.body.uuid)).toBeNull();
    expect(await redis.ttl(RedisKeys.ticket(g.body.uuid))).toBeGreaterThan(0);
    // At the head (admitted by offset), a cancelled ticket gets nothing.
    await commit(LINE, g.body.offset + 1);
    const res = await committedSeen(g.body.ticket, 'grace', g.body.offset + 1);
    expect(res.status).toBe(410);
    expect(res.body.error).toBe('TICKET_CANCELLED');
    const again = await http()
      .delete(`/api/queue/tickets/${g.body.uuid}`)
      .set('X-Queue-Ticket', g.body.ticket);
    expect(again.status).toBe(200);
    expect(await redis.hget(RedisKeys.ticket(g.body.uuid), TicketFields.cancelled)).toBe(first);
    expect(coupons.state.calls.some((x) => x.userId === 'grace')).toBe(false);
    expect(h.status).toBe(307);
  });

  it('makes issue and cancel exclusive: no cancel while the coupon is being issued', async () => {
    const t = await enqueue('ivy');
    await redis.hset(RedisKeys.ticket(t.body.uuid), TicketFields.admittedAt, Date.now());
    await commit(LINE, t.body.offset + 1);
    const status = () =>
      http().get(`/api/queue/tickets/${t.body.uuid}`).set('X-Queue-Ticket', t.body.ticket);
    await waitFor(async () => (await status()).body.status === 'admitted', 20_000, 'admitted');

    let release!: () => void;
    coupons.state.gate = new Promise((r) => (release = r));
    const issuing = poll(t.body.ticket, 'ivy').then((r) => r);
    await waitFor(
      () => coupons.state.received.some((c) => c.userId === 'ivy'),
      10_000,
      'in flight',
    );
    const cancel = () =>
      http().delete(`/api/queue/tickets/${t.body.uuid}`).set('X-Queue-Ticket', t.body.ticket);
    const during = await cancel();
    expect(during.status).toBe(409);
    expect(during.body.error).toBe('TICKET_ISSUING');
    release();
    coupons.state.gate = undefined;
    expect((await issuing).status).toBe(201);
    const after = await cancel();
    expect(after.status).toBe(409);
    expect(after.body.error).toBe('TICKET_SPENT');
    expect(await redis.hget(RedisKeys.ticket(t.body.uuid), TicketFields.cancelled)).toBeNull();
  });

  it('tells every gateway of a cancellation: a waiting poll on another gateway answers 410 at once', async () => {
    const other = await startGateway(env);
    try {
      const t = await enqueue('jude');
      const del = await request(other.getHttpServer())
        .delete(`/api/queue/tickets/${t.body.uuid}`)
        .set('X-Queue-Ticket', t.body.ticket);
      expect(del.status).toBe(200);
      // Far from the head (nothing committed), answered from this gateway's memory.
      const res = await waitFor(
        async () => {
          const r = await poll(t.body.ticket, 'jude');
          return r.status === 410 ? r : false;
        },
        3_000,
        'the other gateway’s cancellation to reach this one',
        50,
      );
      expect(res.body.error).toBe('TICKET_CANCELLED');
    } finally {
      await other.close();
    }
  });

  it('gives a user one place per line: concurrent repeats on two gateways get the same ticket', async () => {
    const other = await startGateway(env);
    try {
      const before = (await kafkaNumbers(LINE, 0)).endOffset;
      const apps = [app, other];
      const answers = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          request(apps[i % 2]!.getHttpServer())
            .post(`/api/coupons/${LINE}/issue`)
            .send({ userId: 'olga' }),
        ),
      );
      expect(answers.map((a) => a.status)).toEqual(Array(10).fill(307));
      expect(new Set(answers.map((a) => a.body.uuid)).size).toBe(1);
      expect((await kafkaNumbers(LINE, 0)).endOffset).toBe(before + 1);

      // Once that ticket has ended (cancelled), the user may take a new place.
      const first = answers[0]!.body;
      const del = await http()
        .delete(`/api/queue/tickets/${first.uuid}`)
        .set('X-Queue-Ticket', first.ticket);
      expect(del.status).toBe(200);
      const again = await request(other.getHttpServer())
        .post(`/api/coupons/${LINE}/issue`)
        .send({ userId: 'olga' });
      expect(again.status).toBe(307);
      expect(again.body.uuid).not.toBe(first.uuid);
      expect((await kafkaNumbers(LINE, 0)).endOffset).toBe(before + 2);
    } finally {
      await other.close();
    }
  });

  it('rejects tampered, transferred and other-line tickets with 4xx', async () => {
    const i = await enqueue('ivan');
    const [hdr, payload, sig] = i.body.ticket.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const forge = (change: object) =>
      `${hdr}.${Buffer.from(JSON.stringify({ ...claims, ...change })).toString('base64url')}.${sig}`;
    const sigBytes = Buffer.from(sig, 'base64url');
    sigBytes[sigBytes.length - 1] ^= 0x01;
    const cases: Array<[string, string, string, number, string]> = [
      ['changed offset', forge({ offset: 0 }), 'ivan', 401, 'TICKET_INVALID'],
      ['changed partition', forge({ partition: 1 }), 'ivan', 401, 'TICKET_INVALID'],
      ['changed user in the ticket', forge({ sub: 'mallory' }), 'mallory', 401, 'TICKET_INVALID'],
      [
        'changed signature byte',
        `${hdr}.${payload}.${sigBytes.toString('base64url')}`,
        'ivan',
        401,
        'TICKET_INVALID',
      ],
      ['garbage', 'not-a-ticket', 'ivan', 401, 'TICKET_INVALID'],
      ['transferred to another user', i.body.ticket, 'mallory', 403, 'TICKET_MISMATCH'],
    ];
    for (const [name, ticket, userId, status, error] of cases) {
      const res = await poll(ticket, userId);
      expect({ name, status: res.status, error: res.body.error }).toEqual({ name, status, error });
    }
    const otherLine = await poll(i.body.ticket, 'ivan', OTHER);
    expect(otherLine.status).toBe(403);
    expect(otherLine.body.message).toContain('coupon');
    const wrongUuid = await http()
      .get(`/api/queue/tickets/${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(12)}`)
      .set('X-Queue-Ticket', i.body.ticket);
    expect(wrongUuid.status).toBe(403);
    // Nothing of the above reached the coupon service or cost a ticket.
    expect(coupons.state.calls.some((x) => x.userId === 'ivan' || x.userId === 'mallory')).toBe(
      false,
    );
  });

  it('still verifies tickets signed with the previous key after a rotation', async () => {
    const j = await enqueue('judy');
    const rotatedEnv = gatewayEnv({
      COUPON_SERVICE_PORT: String(coupons.port),
      KAFKA_TOPIC_PREFIX: env.KAFKA_TOPIC_PREFIX,
      ADMITTER_GROUP_ID: env.ADMITTER_GROUP_ID,
      REDIS_KEY_PREFIX: env.REDIS_KEY_PREFIX,
      TICKET_KEY_ID: 'k-rotated',
      TICKET_SECRET: 'r'.repeat(48),
      TICKET_PREVIOUS_KEYS: `${env.TICKET_KEY_ID}:${env.TICKET_SECRET}`,
    });
    const rotated = await startGateway(rotatedEnv);
    try {
      const res = await request(rotated.getHttpServer())
        .get(`/api/queue/tickets/${j.body.uuid}`)
        .set('X-Queue-Ticket', j.body.ticket);
      expect({ status: res.status, body: res.body }).toMatchObject({ status: 200 });
      expect(res.body).toMatchObject({
        uuid: j.body.uuid,
        offset: j.body.offset,
        status: 'waiting',
      });
      const withoutOld = await startGateway(
        gatewayEnv({ ...rotatedEnvOverrides(rotatedEnv), TICKET_PREVIOUS_KEYS: '' }),
      );
      try {
        const refused = await request(withoutOld.getHttpServer())
          .get(`/api/queue/tickets/${j.body.uuid}`)
          .set('X-Queue-Ticket', j.body.ticket);
        expect(refused.status).toBe(401);
      } finally {
        await withoutOld.close();
      }
    } finally {
      await rotated.close();
    }
  });

  it('writes heartbeats for enqueues and polls, batched', async () => {
    const k = await enqueue('ken');
    const first = Number(
      await waitFor(
        () => redis.hget(RedisKeys.ticket(k.body.uuid), TicketFields.heartbeat),
        5000,
        'enqueue heartbeat',
      ),
    );
    expect(first).toBeGreaterThan(Date.now() - 10_000);
    await poll(k.body.ticket, 'ken');
    await waitFor(
      async () =>
        Number(await redis.hget(RedisKeys.ticket(k.body.uuid), TicketFields.heartbeat)) > first,
      5000,
      'poll heartbeat',
    );
  });

  it('refuses unknown and sold-out coupons without writing Kafka, and a line sold out while waiting', async () => {
    const before = await kafkaNumbers(LINE, 0);
    const unknown = await http().post('/api/coupons/Z9999/issue').send({ userId: 'alice' });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toBe('UNKNOWN_COUPON');
    const soldOut = await http().post('/api/coupons/C0001/issue').send({ userId: 'alice' });
    expect(soldOut.status).toBe(410);
    const admin = await kafka.admin();
    const topics = await admin.listTopics();
    expect(topics).not.toContain(lineTopic(env.KAFKA_TOPIC_PREFIX, 'Z9999'));
    expect(topics).not.toContain(lineTopic(env.KAFKA_TOPIC_PREFIX, 'C0001'));
    expect((await kafkaNumbers(LINE, 0)).endOffset).toBe(before.endOffset);

    const w = await enqueue('walter', OTHER);
    coupons.state.coupons.get(OTHER)!.remaining = 0;
    const gone = await waitFor(
      async () => {
        const res = await poll(w.body.ticket, 'walter', OTHER);
        return res.status === 410 ? res : false;
      },
      5000,
      'sold out while waiting',
    );
    expect(gone.body.error).toBe('SOLD_OUT');
  });

  it('guards the admin API with the bearer token and stores line settings', async () => {
    const path = `/api/admin/lines/${LINE}`;
    expect((await http().get(path)).status).toBe(401);
    expect(
      (await http().get(path).set('Authorization', 'Bearer wrong-token-wrong-token')).status,
    ).toBe(401);
    const auth = `Bearer ${env.ADMIN_TOKEN}`;
    const put = await http()
      .put(path)
      .set('Authorization', auth)
      .send({ ratePerSec: 7.5, maxActive: 3 });
    expect(put.status).toBe(200);
    expect(await redis.hgetall(RedisKeys.lineSettings(LINE))).toEqual({
      ratePerSec: '7.5',
      maxActive: '3',
    });
    expect(put.body.settings).toEqual({
      ratePerSec: 7.5,
      burst: env.ADMISSION_BURST,
      maxActive: 3,
    });
    const bad = await http()
      .put(path)
      .set('Authorization', auth)
      .send({ ratePerSec: -1, extra: 1 });
    expect(bad.status).toBe(400);
    const empty = await http().put(path).set('Authorization', auth).send({});
    expect(empty.status).toBe(400);
    const get = await http().get(path).set('Authorization', auth);
    expect(get.status).toBe(200);
    // A line nobody queued in yet: zeros, and no topic created by asking.
    const unused = await http().get('/api/admin/lines/N0001').set('Authorization', auth);
    expect(unused.status).toBe(200);
    expect(unused.body).toMatchObject({
      line: 'N0001',
      partitions: [],
      waiting: 0,
      admitted: 0,
      ratePerSec: null,
    });
    expect(await (await kafka.admin()).listTopics()).not.toContain(
      lineTopic(env.KAFKA_TOPIC_PREFIX, 'N0001'),
    );
    // Earlier tests committed offsets: the measured admission rate is known.
    expect(get.body.ratePerSec).toBeGreaterThan(0);
    const k = await kafkaNumbers(LINE, 0);
    expect(get.body.partitions[0]).toEqual({
      partition: 0,
      endOffset: k.endOffset,
      committedOffset: k.committedOffset,
    });
  });

  it('exposes the gateway metrics', async () => {
    const res = await http().get('/metrics');
    expect(res.status).toBe(200);
    expect(res.text).toMatch(new RegExp(`queue_tickets_written_total\\{line="${LINE}"\\} \\d+`));
    expect(res.text).toContain('queue_line_length{line=');
    expect(res.text).toContain('queue_produce_batch_size_bucket');
    expect(res.text).toContain('queue_request_duration_seconds_bucket{le="0.001",kind="poll"}');
    // grace's, jude's and olga's (two through a second gateway, which shares this process' registry)
    expect(res.text).toMatch(new RegExp(`queue_tickets_cancelled_total\\{line="${LINE}"\\} 3`));
    expect(res.text).toMatch(new RegExp(`queue_enqueue_repeats_total\\{line="${LINE}"\\} \\d+`));
  });
});

function rotatedEnvOverrides(e: Env): Record<string, string> {
  return {
    COUPON_SERVICE_PORT: String(e.COUPON_SERVICE_PORT),
    KAFKA_TOPIC_PREFIX: e.KAFKA_TOPIC_PREFIX,
    ADMITTER_GROUP_ID: e.ADMITTER_GROUP_ID,
    REDIS_KEY_PREFIX: e.REDIS_KEY_PREFIX,
    TICKET_KEY_ID: e.TICKET_KEY_ID,
    TICKET_SECRET: e.TICKET_SECRET,
  };
}

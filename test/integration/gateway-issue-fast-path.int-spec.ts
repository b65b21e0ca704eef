// The issue route's fast path (node:http, ahead of Fastify and Nest) answers
// polls and first requests exactly as the framework route does: the same request
// is sent plainly (fast path) and through a proxy header (X-Forwarded-For: the
// framework route), and the answers must match, for a waiting poll, an issue,
// a first request, a repeated one, and every error.
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { Env } from '@app/config';
import { KafkaClient } from '@app/kafka';
import Redis from 'ioredis';
import { lineTopic, RedisKeys, TicketFields } from '@app/queue';
import { REDIS } from '@app/redis';
import { IssueFastPath } from '../../apps/queue-gateway/src/queue/issue-fast-path';
import { GatewayCluster, joinLine, startGatewayCluster, waitFor } from '../support/gateway-harness';

jest.setTimeout(60_000);

const LINE = 'A0001';

describe('issue route fast path', () => {
  let cluster: GatewayCluster;
  let env: Env;
  let app: NestFastifyApplication;
  let taken: boolean[];
  const http = () => request(app.getHttpServer());

  beforeAll(async () => {
    cluster = await startGatewayCluster([{ code: LINE, quantity: 100 }]);
    ({ env } = cluster);
    app = cluster.apps[0]!;
    const fast = app.get(IssueFastPath);
    const take = fast.take.bind(fast);
    taken = [];
    jest.spyOn(fast, 'take').mockImplementation((req, res) => {
      const answer = take(req, res);
      taken.push(answer);
      return answer;
    });
  });
  afterAll(() => cluster.close());

  const join = (userId: string) => joinLine(app, LINE, { userId });
  /** The same raw request twice: fast path, then the framework (through a "proxy"). */
  const both = async (
    ticket: string | undefined,
    body: string,
    path = `/api/coupons/${LINE}/issue`,
  ) => {
    const send = (proxied: boolean) => {
      let r = http().post(path).set('Content-Type', 'application/json');
      if (ticket !== undefined) r = r.set('X-Queue-Ticket', ticket);
      if (proxied) r = r.set('X-Forwarded-For', '127.0.0.1');
      return r.send(body);
    };
    taken.length = 0;
    const fast = await send(false);
    const framework = await send(true);
    expect(taken).toEqual([true, false]);
    const view = (res: request.Response) => ({
      status: res.status,
      body: res.body as unknown,
      type: res.headers['content-type'],
      retryAfter: res.headers['retry-after'],
      ticket: res.headers['x-queue-ticket'],
      cache: res.headers['cache-control'],
    });
    expect(view(fast)).toEqual(view(framework));
    return fast;
  };

  it('answers a waiting poll, an issue and every error as the framework route does', async () => {
    const alice = await join('alice');
    const ticket = alice.headers['x-queue-ticket'] as string;
    const bobJoin = await join('bob');
    const bob = bobJoin.headers['x-queue-ticket'] as string;

    const waiting = await both(ticket, JSON.stringify({ userId: 'alice' }));
    expect(waiting.status).toBe(307);
    expect(waiting.body.uuid).toBe(alice.body.uuid);

    const cases: Array<[string, string, number, string]> = [
      [ticket, '{"userId":"mallory"}', 403, 'TICKET_MISMATCH'],
      ['not-a-ticket', '{"userId":"alice"}', 401, 'TICKET_INVALID'],
      [ticket, '{"userId":""}', 400, 'VALIDATION_FAILED'],
      [ticket, '{"userId":5,"x":1}', 400, 'VALIDATION_FAILED'],
      [ticket, '{"userId":"alice","altcha":null}', 400, 'VALIDATION_FAILED'],
      [ticket, `{"userId":"${'a'.repeat(65)}"}`, 400, 'VALIDATION_FAILED'],
      [ticket, '["alice"]', 400, 'VALIDATION_FAILED'],
      [ticket, '{"userId":"alice"', 400, 'BAD_REQUEST'],
      [ticket, '{"__proto__":{"userId":"alice"}}', 400, 'BAD_REQUEST'],
      [bob, '{"userId":"alice"}', 403, 'TICKET_MISMATCH'],
    ];
    for (const [t, body, status, error] of cases) {
      const res = await both(t, body);
      expect([body, res.status, res.body.error]).toEqual([body, status, error]);
    }
    // Another line's route with this line's ticket.
    const other = await both(ticket, '{"userId":"alice"}', '/api/coupons/B0001/issue');
    expect(other.status).toBe(403);

    // Admitted (the admitter's commit, by hand) and issued: 201 once, then 410 spent.
    const admin = await app.get(KafkaClient).admin();
    const topic = lineTopic(env.KAFKA_TOPIC_PREFIX, LINE);
    const ends = await admin.fetchTopicOffsets(topic);
    await admin.setOffsets({
      groupId: env.ADMITTER_GROUP_ID,
      topic,
      partitions: ends.map((e) => ({ partition: e.partition, offset: e.high })),
    });
    // The admitter records each admission in Redis before it commits past it: do so by hand.
    const redis = app.get<Redis>(REDIS);
    for (const res of [alice, bobJoin]) {
      await redis.hset(RedisKeys.ticket(res.body.uuid), TicketFields.admittedAt, Date.now());
    }
    const poll = (t: string, userId: string, proxied: boolean) => {
      const r = http().post(`/api/coupons/${LINE}/issue`).set('X-Queue-Ticket', t);
      return (proxied ? r.set('X-Forwarded-For', '127.0.0.1') : r).send({ userId });
    };
    const admitted = (t: string, userId: string, proxied: boolean) =>
      waitFor(
        async () => {
          const res = await poll(t, userId, proxied);
          return res.status === 307 ? false : res;
        },
        10_000,
        `${userId} admitted`,
        100,
      );
    taken.length = 0;
    const fastIssued = await admitted(ticket, 'alice', false);
    const frameworkIssued = await admitted(bob, 'bob', true);
    expect(taken.length).toBeGreaterThan(0);
    for (const [res, userId] of [
      [fastIssued, 'alice'],
      [frameworkIssued, 'bob'],
    ] as const) {
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ couponCode: LINE, userId });
      expect(Object.keys(res.body).sort()).toEqual(Object.keys(fastIssued.body).sort());
    }
    // Spent: the same 410 on both paths.
    const spent = await both(ticket, JSON.stringify({ userId: 'alice' }));
    expect(spent.body.error).toBe('TICKET_SPENT');
  });

  it('answers first requests as the framework route does: a place, the same place again, and every error', async () => {
    // Two different users: a new place each, the same shape of answer.
    taken.length = 0;
    const fast = await http().post(`/api/coupons/${LINE}/issue`).send({ userId: 'dave' });
    const framework = await http()
      .post(`/api/coupons/${LINE}/issue`)
      .set('X-Forwarded-For', '127.0.0.1')
      .send({ userId: 'erin' });
    expect(taken).toEqual([true, false]);
    for (const res of [fast, framework]) {
      expect(res.status).toBe(307);
      expect(res.headers['x-queue-ticket']).toBe(res.body.ticket);
      expect(res.headers['cache-control']).toBe('no-store');
    }
    expect(Object.keys(fast.body).sort()).toEqual(Object.keys(framework.body).sort());
    // A repeated first request: the user's own place back, on either path.
    const again = await both(undefined, JSON.stringify({ userId: 'dave' }));
    expect(again.body.uuid).toBe(fast.body.uuid);
    const cases: Array<[string, string, number, string]> = [
      [`/api/coupons/NOPE01/issue`, '{"userId":"dave"}', 404, 'UNKNOWN_COUPON'],
      [`/api/coupons/${LINE}/issue`, '{"userId":""}', 400, 'VALIDATION_FAILED'],
      [`/api/coupons/${LINE}/issue`, '{"user":"dave"}', 400, 'VALIDATION_FAILED'],
      [`/api/coupons/${LINE}/issue`, '{"userId":"dave"', 400, 'BAD_REQUEST'],
    ];
    for (const [path, body, status, error] of cases) {
      const res = await both(undefined, body, path);
      expect([path, body, res.status, res.body.error]).toEqual([path, body, status, error]);
    }
  });

  it('leaves browsers and form posts to the framework (cookies, 303)', async () => {
    const ticket = (await join('carol')).headers['x-queue-ticket'] as string;
    taken.length = 0;
    const browser = await http()
      .post(`/api/coupons/${LINE}/issue`)
      .set('X-Queue-Ticket', ticket)
      .set('Sec-Fetch-Mode', 'cors')
      .set('Sec-Fetch-Site', 'same-origin')
      .send({ userId: 'carol' });
    expect(browser.status).toBe(307);
    // A browser gets its ticket cookie, which only the framework route sets.
    expect(String(browser.headers['set-cookie'])).toContain(`wrt_${LINE}=`);
    const form = await http()
      .post(`/api/coupons/${LINE}/issue`)
      .set('X-Queue-Ticket', ticket)
      .type('form')
      .send({ userId: 'carol' });
    expect(form.status).toBe(303);
    // A first request with a cookie (it may hold this line's ticket) is the framework's too.
    const withCookie = await http()
      .post(`/api/coupons/${LINE}/issue`)
      .set('Cookie', 'other=1')
      .send({ userId: 'frank' });
    expect(withCookie.status).toBe(307);
    expect(taken).toEqual([false, false, false]);
  });
});

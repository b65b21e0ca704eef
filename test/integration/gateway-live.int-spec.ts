// The browser-facing gateway against the real Kafka, Redis and a real admitter:
// Server-Sent Events (order, outcome, heartbeat by connection, abandonment after
// a disconnect, the connection cap, cancel and sold out), the cacheable line
// state (headers, ETag/304, Kafka's own numbers), and the ticket cookie with the
// 303 answer to an HTML form.
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import Redis from 'ioredis';
import { ConfigResourceTypes } from 'kafkajs';
import request from 'supertest';
import { Env } from '@app/config';
import { KafkaClient } from '@app/kafka';
import { lineTopic, RedisKeys, TicketFields } from '@app/queue';
import { REDIS } from '@app/redis';
import { TicketClaims, TicketSigner } from '@app/ticket';
import { AdmitterHandle, startAdmitter } from '../support/admitter-harness';
import {
  dropGatewayState,
  FakeCouponService,
  gatewayEnv,
  startFakeCouponService,
  startGateway,
  waitFor,
} from '../support/gateway-harness';
import { SseClient } from '../support/sse-client';

jest.setTimeout(90_000);

const LINE = 'LIVE1';
const SOLD = 'LIVE2';
/** Paused throughout: its tickets wait as long as a test needs. */
const STILL = 'LIVE3';
const ABANDON_SECONDS = 3;

interface Numbers {
  uuid: string;
  partition: number;
  offset: number;
  committedOffset: number;
  endOffset: number;
  ahead: number;
  status?: string;
  ticket: string;
}
interface LineEvent {
  line: string;
  state: string;
  partitions: Array<{ partition: number; committedOffset: number; endOffset: number }>;
  soldOut: boolean;
}

describe('gateway for browsers: SSE, cached line state, ticket cookie (real Kafka, Redis, admitter)', () => {
  let coupons: FakeCouponService;
  let env: Env;
  let app: NestFastifyApplication;
  let admitter: AdmitterHandle;
  let base: string;
  const streams: SseClient[] = [];
  const http = () => request(app.getHttpServer());

  const enqueue = async (userId: string, line = LINE): Promise<Numbers> => {
    const res = await http().post(`/api/coupons/${line}/issue`).send({ userId });
    expect(res.status).toBe(307);
    return res.body as Numbers;
  };
  const open = async (t: Numbers, headers?: Record<string, string>) => {
    const s = await SseClient.open(
      `${base}/api/queue/tickets/${t.uuid}/events`,
      headers ?? { 'x-queue-ticket': t.ticket },
    );
    streams.push(s);
    return s;
  };
  const setRate = async (ratePerSec: number, line = LINE) => {
    const res = await http()
      .put(`/api/admin/lines/${line}`)
      .set('Authorization', `Bearer ${env.ADMIN_TOKEN}`)
      .send({ ratePerSec, burst: Math.max(1, Math.ceil(ratePerSec)) });
    expect(res.status).toBe(200);
  };
  const status = async (t: Numbers) =>
    (await http().get(`/api/queue/tickets/${t.uuid}`).set('X-Queue-Ticket', t.ticket)).body as {
      status: string;
    };
  const kafkaNumbers = async (line: string) => {
    const admin = await app.get(KafkaClient).admin();
    const topic = lineTopic(env.KAFKA_TOPIC_PREFIX, line);
    const ends = await admin.fetchTopicOffsets(topic);
    const [committed] = await admin.fetchOffsets({
      groupId: env.ADMITTER_GROUP_ID,
      topics: [topic],
    });
    return ends
      .map((e) => {
        const c = Number(committed.partitions.find((p) => p.partition === e.partition)!.offset);
        return {
          partition: e.partition,
          committedOffset: Math.max(0, c),
          endOffset: Number(e.high),
        };
      })
      .sort((a, b) => a.partition - b.partition);
  };

  beforeAll(async () => {
    coupons = await startFakeCouponService([
      { code: LINE, quantity: 100 },
      { code: SOLD, quantity: 100 },
      { code: STILL, quantity: 100 },
    ]);
    env = gatewayEnv({
      COUPON_SERVICE_PORT: String(coupons.port),
      LINE_PARTITIONS: '1',
      ABANDON_AFTER_SECONDS: String(ABANDON_SECONDS),
      SSE_MIN_UPDATE_MS: '50',
      SSE_MAX_UPDATE_MS: '50', // every change reaches every stream here; pacing: ticket-events.spec.ts
      SSE_KEEPALIVE_SECONDS: '1',
      LINE_STATE_MAX_AGE_SECONDS: '1',
    });
    app = await startGateway(env);
    await app.listen(0, '127.0.0.1');
    const address = app.getHttpServer().address() as { port: number };
    base = `http://127.0.0.1:${address.port}`;
    await waitFor(
      async () => (await http().get(`/api/lines/${LINE}`)).status === 200,
      20_000,
      'the line state',
    );
    // Both lines paused before the admitter starts: nobody moves until a test opens its line.
    await setRate(0, LINE);
    await setRate(0, SOLD);
    await setRate(0, STILL);
    admitter = await startAdmitter(env);
  });

  afterAll(async () => {
    for (const s of streams) s.close();
    await admitter?.close();
    await dropGatewayState(app, env);
    await app.close();
    await coupons.close();
  });

  it("serves the line state cacheably: public max-age, ETag and 304, no cookies, Kafka's own numbers", async () => {
    await enqueue('state-reader');
    let kafka: Awaited<ReturnType<typeof kafkaNumbers>> = [];
    const res = await waitFor(
      async () => {
        kafka = await kafkaNumbers(LINE); // Kafka's own tool view, asked again until both agree
        const r = await http().get(`/api/lines/${LINE}`).set('Cookie', 'wrt_LIVE1=whatever');
        return JSON.stringify(r.body.partitions) === JSON.stringify(kafka) ? r : undefined;
      },
      10_000,
      "the line state to show Kafka's numbers",
    );
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('public, max-age=1');
    expect(res.headers['set-cookie']).toBeUndefined();
    expect(res.headers.etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
    expect(res.body).toMatchObject({
      line: LINE,
      state: 'paused',
      configuredRatePerSec: 0,
      remaining: 100,
      quantity: 100,
      soldOut: false,
      waiting: kafka[0].endOffset - kafka[0].committedOffset,
    });
    const again = await http().get(`/api/lines/${LINE}`).set('If-None-Match', res.headers.etag);
    expect(again.status).toBe(304);
    expect(again.text).toBe('');

    // A new arrival changes the content, so the ETag changes.
    await enqueue('state-reader-2');
    const changed = await waitFor(
      async () => {
        const r = await http().get(`/api/lines/${LINE}`).set('If-None-Match', res.headers.etag);
        return r.status === 200 ? r : undefined;
      },
      10_000,
      'a new ETag',
    );
    expect(changed.headers.etag).not.toBe(res.headers.etag);
    expect(changed.body.partitions[0].endOffset).toBe(kafka[0].endOffset + 1);

    const list = await http().get('/api/lines');
    expect(list.status).toBe(200);
    expect(list.body.map((l: LineEvent) => l.line).sort()).toEqual([LINE, SOLD, STILL]);
    expect((await http().get('/api/lines/NOPE1')).status).toBe(404);
    expect((await http().get('/api/lines/bad%20code')).status).toBe(400);
  });

  it('streams a ticket in order to its outcome; an open stream is a heartbeat, a closed one is not', async () => {
    const held = await enqueue('sse-held');
    const dropped = await enqueue('sse-dropped');
    const last = await enqueue('sse-last');
    const heldStream = await open(held);
    const droppedStream = await open(dropped);
    const lastStream = await open(last);

    expect(lastStream.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(lastStream.headers['cache-control']).toBe('no-store');
    const first = await lastStream.waitForEvent<Numbers>('ticket');
    expect(lastStream.events[0].event).toBe('ticket');
    expect(lastStream.retry).toBe(2000);
    expect(first).toMatchObject({ uuid: last.uuid, offset: last.offset, status: 'waiting' });
    expect(first.ahead).toBe(last.offset - first.committedOffset);
    const line = await lastStream.waitForEvent<LineEvent>('line');
    expect(line).toMatchObject({ line: LINE, state: 'paused' });

    // The dropped holder goes away; the others stay connected past the abandon window.
    droppedStream.close();
    const since = Date.now();
    await waitFor(() => lastStream.comments.includes('keep-alive'), 5_000, 'a keep-alive comment');
    await waitFor(
      () => Date.now() > since + (ABANDON_SECONDS + 1) * 1000,
      (ABANDON_SECONDS + 3) * 1000,
      'the abandon window to pass',
    );
    await setRate(20);

    const heldOutcome = await heldStream.waitForEvent<Numbers>('outcome');
    expect(heldOutcome).toMatchObject({ uuid: held.uuid, status: 'admitted' });
    const lastOutcome = await lastStream.waitForEvent<Numbers>('outcome');
    expect(lastOutcome).toMatchObject({ uuid: last.uuid, status: 'admitted' });
    await lastStream.waitForEnd();
    await heldStream.waitForEnd();
    // Skipped as abandoned (the gateways' pulse was alive: the others' streams beat)...
    const redis = app.get<Redis>(REDIS);
    const droppedState = await redis.hgetall(RedisKeys.ticket(dropped.uuid));
    // (the whole hash and the times, so a failure says what happened)
    expect({ ...droppedState, droppedAt: since, now: Date.now() }).toMatchObject({
      skipped: 'abandoned',
    });
    // ...but back within ABANDON_GRACE_SECONDS: admitted at once, not told 410.
    expect((await status(dropped)).status).toBe('admitted');
    expect(await redis.hget(RedisKeys.lineStats(LINE), 'rejoined')).toBe('1');
    expect(await redis.hget(RedisKeys.ticket(dropped.uuid), TicketFields.skipped)).toBeNull();

    // Order: one ticket event first, line events with committed offsets that never go back, outcome last.
    const names = lastStream.events.map((e) => e.event);
    expect(names[0]).toBe('ticket');
    expect(names[names.length - 1]).toBe('outcome');
    expect(names.filter((n) => n === 'ticket')).toHaveLength(1);
    const committed = lastStream
      .data<LineEvent>('line')
      .map((l) => l.partitions[0].committedOffset);
    expect(committed).toEqual([...committed].sort((a, b) => a - b));
    expect(committed[committed.length - 1]).toBeGreaterThan(committed[0]);
    const ids = lastStream.events.filter((e) => e.event === 'line').map((e) => Number(e.id));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
  });

  it('ends a stream with "cancelled" when its holder cancels', async () => {
    await setRate(0);
    const t = await enqueue('sse-cancel');
    const s = await open(t);
    await s.waitForEvent('ticket');
    const res = await http().delete(`/api/queue/tickets/${t.uuid}`).set('X-Queue-Ticket', t.ticket);
    expect(res.status).toBe(200);
    expect(await s.waitForEvent<Numbers>('outcome')).toMatchObject({ status: 'cancelled' });
    await s.waitForEnd();
  });

  it('tells everyone still waiting when the coupon sells out', async () => {
    const a = await enqueue('sold-a', SOLD);
    const b = await enqueue('sold-b', SOLD);
    const [sa, sb] = [await open(a), await open(b)];
    await sa.waitForEvent('ticket');
    await sb.waitForEvent('ticket');
    coupons.state.coupons.get(SOLD)!.remaining = 0;
    expect(await sa.waitForEvent<Numbers>('outcome')).toMatchObject({ status: 'sold_out' });
    expect(await sb.waitForEvent<Numbers>('outcome')).toMatchObject({ status: 'sold_out' });
    expect((await status(a)).status).toBe('sold_out');
    const state = await http().get(`/api/lines/${SOLD}`);
    expect(state.body).toMatchObject({ state: 'sold_out', soldOut: true, remaining: 0 });
  });

  it('refuses a stream without a valid ticket, and past the connection cap answers 503 + Retry-After', async () => {
    const t = await enqueue('sse-cap', STILL);
    const noTicket = await SseClient.open(`${base}/api/queue/tickets/${t.uuid}/events`);
    expect(noTicket.status).toBe(401);
    const other = await enqueue('sse-cap-other', STILL);
    const wrong = await SseClient.open(`${base}/api/queue/tickets/${t.uuid}/events`, {
      'x-queue-ticket': other.ticket,
    });
    expect(wrong.status).toBe(403);

    const capped = await startGateway({ ...env, SSE_MAX_CONNECTIONS: 1 } as Env);
    try {
      await capped.listen(0, '127.0.0.1');
      const port = (capped.getHttpServer().address() as { port: number }).port;
      const url = `http://127.0.0.1:${port}/api/queue/tickets/${t.uuid}/events`;
      // The new gateway's first look at the line's offsets may take a moment (503 meanwhile).
      const one = await waitFor(
        async () => {
          const s = await SseClient.open(url, { 'x-queue-ticket': t.ticket });
          streams.push(s);
          return s.status === 200 ? s : undefined;
        },
        10_000,
        'the first stream on the capped gateway',
      );
      const two = await SseClient.open(url, { 'x-queue-ticket': t.ticket });
      expect(two.status).toBe(503);
      expect(two.headers['retry-after']).toBe('5');
      expect(JSON.parse(two.body)).toMatchObject({
        statusCode: 503,
        error: 'SERVICE_UNAVAILABLE',
        message: expect.stringMatching(/event streams/),
      });
      one.close();
      // The slot is free again once the first stream is gone.
      await waitFor(
        async () => {
          const three = await SseClient.open(url, { 'x-queue-ticket': t.ticket });
          three.close();
          return three.status === 200;
        },
        5_000,
        'a freed slot',
      );
      // A gateway that stops ends its streams first, so EventSource reconnects elsewhere at once.
      const open = await waitFor(
        async () => {
          const s = await SseClient.open(url, { 'x-queue-ticket': t.ticket });
          streams.push(s);
          return s.status === 200 ? s : undefined;
        },
        5_000,
        'a stream on the capped gateway',
      );
      await capped.close();
      await open.waitForEnd(5_000);
    } finally {
      await capped.close();
    }
  });

  it('answers CORS only for the configured origins and exposes the ticket header', async () => {
    // The gateway under test has no CORS_ORIGINS: same origin only, no CORS headers at all.
    const plain = await http().get(`/api/lines/${LINE}`).set('Origin', 'https://shop.example');
    expect(plain.headers['access-control-allow-origin']).toBeUndefined();

    const cors = await startGateway({ ...env, CORS_ORIGINS: 'https://shop.example' } as Env);
    try {
      const h = () => request(cors.getHttpServer());
      const preflight = await h()
        .options(`/api/coupons/${LINE}/issue`)
        .set('Origin', 'https://shop.example')
        .set('Access-Control-Request-Method', 'POST')
        .set('Access-Control-Request-Headers', 'content-type,x-queue-ticket');
      expect(preflight.status).toBe(204);
      expect(preflight.headers['access-control-allow-origin']).toBe('https://shop.example');
      expect(preflight.headers['access-control-allow-credentials']).toBe('true');
      expect(preflight.headers['access-control-allow-headers']).toMatch(/X-Queue-Ticket/i);

      // Once the new gateway has its coupon catalogue (503 until then).
      const res = await waitFor(
        async () => {
          const r = await h()
            .post(`/api/coupons/${STILL}/issue`)
            .set('Origin', 'https://shop.example')
            .send({ userId: 'cors-user' });
          return r.status === 307 ? r : undefined;
        },
        10_000,
        'a 307 from the CORS gateway',
      );
      expect(res.headers['access-control-allow-origin']).toBe('https://shop.example');
      expect(res.headers['access-control-expose-headers']).toMatch(/X-Queue-Ticket/);
      expect(res.headers['access-control-expose-headers']).toMatch(/Retry-After/);

      const other = await h().get(`/api/lines/${LINE}`).set('Origin', 'https://evil.example');
      expect(other.headers['access-control-allow-origin']).toBeUndefined();
    } finally {
      await cors.close();
    }
  });

  it('stays ready while the coupon service is away: waiters are still answered, /health/dependencies says what is down', async () => {
    const lone = await startFakeCouponService([{ code: STILL, quantity: 100 }]);
    const gw = await startGateway({ ...env, COUPON_SERVICE_PORT: lone.port } as Env);
    try {
      await gw.listen(0, '127.0.0.1');
      const url = `http://127.0.0.1:${(gw.getHttpServer().address() as { port: number }).port}`;
      const h = () => request(gw.getHttpServer());
      const ready = await waitFor(
        async () => {
          const r = await h().get('/health/ready');
          return r.status === 200 ? r : undefined;
        },
        15_000,
        'the new gateway to be ready',
      );
      expect(ready.body.info.gateway).toMatchObject({ status: 'up', lines: 1 });
      expect((await h().get('/health/dependencies')).status).toBe(200);
      const t = (await h().post(`/api/coupons/${STILL}/issue`).send({ userId: 'blip' }))
        .body as Numbers;

      await lone.close();
      const deps = await waitFor(
        async () => {
          const r = await h().get('/health/dependencies');
          return r.status === 503 ? r : undefined;
        },
        15_000,
        'the coupon service to be reported down',
      );
      expect(deps.body.details).toMatchObject({
        couponService: { status: 'down' },
        kafka: { status: 'up' },
        redis: { status: 'up' },
      });
      expect((await h().get('/health/ready')).status).toBe(200);
      expect((await h().get('/health/live')).status).toBe(200);
      const poll = await h()
        .post(`/api/coupons/${STILL}/issue`)
        .set('X-Queue-Ticket', t.ticket)
        .send({ userId: 'blip' });
      expect(poll.status).toBe(307);
      const s = await SseClient.open(`${url}/api/queue/tickets/${t.uuid}/events`, {
        'x-queue-ticket': t.ticket,
      });
      streams.push(s);
      expect(s.status).toBe(200);
      expect(await s.waitForEvent<Numbers>('ticket')).toMatchObject({ uuid: t.uuid });
    } finally {
      await gw.close();
    }
  });

  it('writes line topics with the configured min.insync.replicas, and answers no ticket it cannot keep on enough replicas', async () => {
    const admin = await app.get(KafkaClient).admin();
    const { resources } = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [
        {
          type: ConfigResourceTypes.TOPIC,
          name: lineTopic(env.KAFKA_TOPIC_PREFIX, LINE),
          configNames: ['min.insync.replicas'],
        },
      ],
    });
    expect(resources[0].configEntries[0]).toMatchObject({ configValue: '1', isDefault: false });

    // One broker here: a gateway asked for two replicas must refuse, not promise.
    const strictEnv = gatewayEnv({
      COUPON_SERVICE_PORT: String(coupons.port),
      LINE_REPLICATION_FACTOR: '2',
    });
    const strict = await startGateway(strictEnv);
    try {
      const res = await waitFor(
        async () => {
          const r = await request(strict.getHttpServer())
            .post(`/api/coupons/${STILL}/issue`)
            .send({ userId: 'two-copies' });
          return /catalogue/.test(r.body.message) ? undefined : r;
        },
        15_000,
        'an answer past the catalogue',
      );
      expect(res.status).toBe(503);
      expect(res.headers['retry-after']).toBeDefined();
      expect(res.body.ticket).toBeUndefined();
      const topics = await admin.listTopics();
      expect(topics).not.toContain(lineTopic(strictEnv.KAFKA_TOPIC_PREFIX, STILL));
    } finally {
      await strict.close();
    }
  });

  it('refuses an expired ticket (its exp passed), by header and by cookie', async () => {
    const fresh = await enqueue('old-timer', STILL);
    const [, payload] = fresh.ticket.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as TicketClaims;
    const day = 24 * 3600;
    const old = await app
      .get(TicketSigner)
      .sign({ ...claims, iat: Math.floor(Date.now() / 1000) - env.TICKET_TTL_SECONDS - day });
    const poll = await http()
      .post(`/api/coupons/${STILL}/issue`)
      .set('X-Queue-Ticket', old)
      .send({ userId: 'old-timer' });
    expect(poll.status).toBe(401);
    expect(poll.body).toMatchObject({
      error: 'TICKET_INVALID',
      message: expect.stringMatching(/expired/),
    });
    const byCookie = await http()
      .get(`/api/queue/tickets/${claims.uuid}`)
      .set('Cookie', `wrt_${STILL}=${old}`);
    expect(byCookie.status).toBe(401);
  });

  it('serves the page itself: HTML with a strict CSP, the event page per line, assets with ETags', async () => {
    const home = await http().get('/');
    expect(home.status).toBe(200);
    expect(home.headers['content-type']).toMatch(/^text\/html/);
    expect(home.headers['content-security-policy']).toMatch(/default-src 'self'/);
    const event = await http().get(`/lines/${LINE}`);
    expect(event.text).toContain(`action="/api/coupons/${LINE}/issue"`);
    expect((await http().get('/lines/bad%20code')).status).toBe(400);
    const js = await http().get('/assets/app.js');
    expect(js.status).toBe(200);
    expect(js.headers['content-type']).toMatch(/^text\/javascript/);
    expect((await http().get('/assets/app.js').set('If-None-Match', js.headers.etag)).status).toBe(
      304,
    );
    const missing = await http().get('/assets/nope.js');
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ statusCode: 404, error: 'NOT_FOUND' });
  });

  describe('the ticket cookie', () => {
    const browser = { 'Sec-Fetch-Mode': 'cors', 'Sec-Fetch-Site': 'same-origin' };
    const cookieOf = (res: request.Response) => {
      const raw = ([] as string[]).concat(res.headers['set-cookie'] ?? []);
      return raw.find((c) => c.startsWith(`wrt_${LINE}=`));
    };

    it('is set for browsers only, HttpOnly and SameSite=Lax, and carries the place', async () => {
      const api = await http().post(`/api/coupons/${LINE}/issue`).send({ userId: 'api-client' });
      expect(api.status).toBe(307);
      expect(api.headers['set-cookie']).toBeUndefined();

      const res = await http()
        .post(`/api/coupons/${LINE}/issue`)
        .set(browser)
        .send({ userId: 'cookie-user' });
      expect(res.status).toBe(307);
      const cookie = cookieOf(res)!;
      expect(cookie).toMatch(/HttpOnly/);
      expect(cookie).toMatch(/SameSite=Lax/);
      expect(cookie).toMatch(/Path=\//);
      expect(cookie).not.toMatch(/Secure/); // NODE_ENV is not production here
      const pair = cookie.split(';')[0];

      // A poll by cookie alone keeps the same place.
      const poll = await http()
        .post(`/api/coupons/${LINE}/issue`)
        .set(browser)
        .set('Cookie', pair)
        .send({ userId: 'cookie-user' });
      expect(poll.status).toBe(307);
      expect(poll.body).toMatchObject({ uuid: res.body.uuid, offset: res.body.offset });

      // The page finds its ticket for the line from the cookie.
      const mine = await http().get(`/api/queue/lines/${LINE}/ticket`).set('Cookie', pair);
      expect(mine.status).toBe(200);
      expect(mine.headers['cache-control']).toBe('no-store');
      expect(mine.body).toMatchObject({
        uuid: res.body.uuid,
        status: 'waiting',
        userId: 'cookie-user',
      });
      const none = await http().get(`/api/queue/lines/${LINE}/ticket`);
      expect(none.status).toBe(404);
      expect(none.body.error).toBe('NO_TICKET');
      const forged = await http()
        .get(`/api/queue/lines/${LINE}/ticket`)
        .set('Cookie', `wrt_${LINE}=${res.body.ticket.slice(0, -3)}abc`);
      expect(forged.status).toBe(404);

      // EventSource authenticates by the cookie.
      const s = await open(res.body, { cookie: pair });
      expect(s.status).toBe(200);
      expect(await s.waitForEvent<Numbers>('ticket')).toMatchObject({ uuid: res.body.uuid });
      s.close();

      // Heartbeat and status by cookie; another ticket's uuid is refused.
      expect(
        (await http().post(`/api/queue/tickets/${res.body.uuid}/heartbeat`).set('Cookie', pair))
          .status,
      ).toBe(204);
      expect(
        (await http().get(`/api/queue/tickets/${res.body.uuid}`).set('Cookie', pair)).status,
      ).toBe(200);
      expect(
        (await http().get(`/api/queue/tickets/${api.body.uuid}`).set('Cookie', pair)).status,
      ).toBe(401);
    });

    it('gives a browser whose cookie ticket is over a new place; an API client gets the plain 410', async () => {
      const res = await http()
        .post(`/api/coupons/${STILL}/issue`)
        .set(browser)
        .send({ userId: 'rejoiner' });
      const pair = ([] as string[])
        .concat(res.headers['set-cookie'] ?? [])
        .find((c) => c.startsWith(`wrt_${STILL}=`))!
        .split(';')[0];
      const cancel = await http().delete(`/api/queue/tickets/${res.body.uuid}`).set('Cookie', pair);
      expect(cancel.body.status).toBe('cancelled');

      const api = await http()
        .post(`/api/coupons/${STILL}/issue`)
        .set('X-Queue-Ticket', res.body.ticket)
        .send({ userId: 'rejoiner' });
      expect(api.status).toBe(410);
      expect(api.body.error).toBe('TICKET_CANCELLED');

      const again = await http()
        .post(`/api/coupons/${STILL}/issue`)
        .set(browser)
        .set('Cookie', pair)
        .send({ userId: 'rejoiner' });
      expect(again.status).toBe(307);
      expect(again.body.uuid).not.toBe(res.body.uuid);
      expect(again.body.offset).toBeGreaterThan(res.body.offset);
      expect(String(again.headers['set-cookie'])).toContain(again.body.ticket);
    });

    it('answers an HTML form post with 303 to the event page, never a 307', async () => {
      const res = await http()
        .post(`/api/coupons/${LINE}/issue`)
        .set({ 'Sec-Fetch-Mode': 'navigate', 'Sec-Fetch-Dest': 'document' })
        .type('form')
        .send('userId=form-user');
      expect(res.status).toBe(303);
      expect(res.headers.location).toBe(`/lines/${LINE}`);
      const cookie = cookieOf(res)!;
      expect(cookie).toBeDefined();
      const mine = await http()
        .get(`/api/queue/lines/${LINE}/ticket`)
        .set('Cookie', cookie.split(';')[0]);
      expect(mine.body).toMatchObject({ userId: 'form-user', status: 'waiting' });

      const unknown = await http().post('/api/coupons/NOPE1/issue').type('form').send('userId=x');
      expect(unknown.status).toBe(303);
      expect(unknown.headers.location).toBe('/lines/NOPE1?error=UNKNOWN_COUPON');
    });
  });
});

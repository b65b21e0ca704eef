// The gateway's HTTP edge over supertest (the same createHttpApp as main.ts):
// every kind of bad input is a 4xx JSON error that names the problem, never a
// 5xx; the OpenAPI document describes the 307.
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { Env } from '@app/config';
import { REDIS } from '@app/redis';
import { KafkaClient } from '@app/kafka';
import {
  dropKafkaPrefix,
  dropRedisPrefix,
  FakeCouponService,
  freePort,
  gatewayEnv,
  startFakeCouponService,
  startGateway,
  waitFor,
} from '../support/gateway-harness';

jest.setTimeout(60_000);

const LINE = 'A0001';
const ISSUE = `/api/coupons/${LINE}/issue`;

const expectClientError = (res: request.Response, status: number, mentions?: RegExp) => {
  expect({ status: res.status, body: res.body }).toMatchObject({
    status,
    body: { statusCode: status, error: expect.any(String), message: expect.any(String) },
  });
  expect(res.headers['content-type']).toMatch(/application\/json/);
  expect(JSON.stringify(res.body)).not.toMatch(/at .+\.(ts|js):\d+/); // no stack trace
  if (mentions) expect(`${res.body.error} ${res.body.message}`).toMatch(mentions);
};

describe('queue gateway HTTP edge', () => {
  let coupons: FakeCouponService;
  let env: Env;
  let app: NestFastifyApplication;
  const http = () => request(app.getHttpServer());

  beforeAll(async () => {
    coupons = await startFakeCouponService([{ code: LINE, quantity: 10 }]);
    env = gatewayEnv({ COUPON_SERVICE_PORT: String(coupons.port) });
    app = await startGateway(env);
    await waitFor(
      async () => (await http().get('/api/coupons')).status === 200,
      10_000,
      'catalogue',
    );
  });

  afterAll(async () => {
    const admin = await app.get(KafkaClient).admin();
    await dropKafkaPrefix(admin, env.KAFKA_TOPIC_PREFIX).catch(() => undefined);
    await dropRedisPrefix(app.get(REDIS), env.REDIS_KEY_PREFIX);
    await app.close();
    await coupons.close();
  });

  describe('POST /api/coupons/:code/issue', () => {
    it('rejects malformed JSON', async () => {
      const res = await http()
        .post(ISSUE)
        .set('Content-Type', 'application/json')
        .send('{"userId": "al');
      expectClientError(res, 400, /JSON/i);
    });

    it('rejects a missing body and a missing userId', async () => {
      expectClientError(await http().post(ISSUE), 400, /userId/);
      expectClientError(await http().post(ISSUE).send({}), 400, /userId/);
    });

    it('rejects an empty, oversized or non-string userId', async () => {
      expectClientError(await http().post(ISSUE).send({ userId: '' }), 400, /userId/);
      expectClientError(
        await http()
          .post(ISSUE)
          .send({ userId: 'x'.repeat(65) }),
        400,
        /userId.*64/,
      );
      expectClientError(await http().post(ISSUE).send({ userId: 42 }), 400, /userId/);
    });

    it('rejects control characters in userId', async () => {
      expectClientError(await http().post(ISSUE).send({ userId: 'al\u0000ice' }), 400, /control/);
      expectClientError(await http().post(ISSUE).send({ userId: 'al\nice' }), 400, /control/);
    });

    it('rejects unknown fields, naming them', async () => {
      const res = await http().post(ISSUE).send({ userId: 'alice', admin: true });
      expectClientError(res, 400, /admin/);
    });

    it('rejects a body that is too large or not JSON', async () => {
      expectClientError(
        await http()
          .post(ISSUE)
          .send({ userId: 'x'.repeat(20_000) }),
        413,
      );
      const text = await http().post(ISSUE).set('Content-Type', 'text/plain').send('userId=alice');
      expect(text.status).toBeGreaterThanOrEqual(400);
      expect(text.status).toBeLessThan(500);
    });

    it('rejects a malformed coupon code and answers 404 for an unknown one', async () => {
      expectClientError(
        await http().post('/api/coupons/not%20a%20code/issue').send({ userId: 'a' }),
        400,
        /code/,
      );
      expectClientError(
        await http()
          .post(`/api/coupons/${'A'.repeat(33)}/issue`)
          .send({ userId: 'a' }),
        400,
        /code/,
      );
      expectClientError(
        await http().post('/api/coupons/Z9999/issue').send({ userId: 'a' }),
        404,
        /UNKNOWN_COUPON/,
      );
    });

    it('rejects a garbage ticket with 401 and names it', async () => {
      const res = await http()
        .post(ISSUE)
        .set('X-Queue-Ticket', 'garbage.garbage.garbage')
        .send({ userId: 'a' });
      expectClientError(res, 401, /TICKET_INVALID/);
    });

    it('answers a 307 with a readable body for a good request', async () => {
      const res = await waitFor(
        async () => {
          const r = await http().post(ISSUE).send({ userId: 'alice' });
          return r.status === 307 ? r : false;
        },
        15_000,
        'enqueue',
      );
      expect(res.body).toEqual({
        uuid: expect.any(String),
        partition: 0,
        offset: expect.any(Number),
        committedOffset: 0,
        endOffset: res.body.offset + 1,
        ahead: res.body.offset,
        behind: 0,
        etaSeconds: res.body.offset === 0 ? 0 : null,
        pollAfterMs: expect.any(Number),
        ticket: res.headers['x-queue-ticket'],
      });
    });
  });

  describe('GET and DELETE /api/queue/tickets/:uuid', () => {
    const uuid = '3f0c8a52-8c1e-4c86-9d55-1f0b1a6c2e11';
    it('rejects a malformed uuid', async () => {
      expectClientError(
        await http().get('/api/queue/tickets/nope').set('X-Queue-Ticket', 'x'),
        400,
        /uuid/,
      );
      expectClientError(
        await http().delete('/api/queue/tickets/nope').set('X-Queue-Ticket', 'x'),
        400,
        /uuid/,
      );
    });
    it('rejects a missing or garbage ticket', async () => {
      expectClientError(await http().get(`/api/queue/tickets/${uuid}`), 401, /X-Queue-Ticket/);
      expectClientError(await http().delete(`/api/queue/tickets/${uuid}`), 401, /X-Queue-Ticket/);
      expectClientError(
        await http().get(`/api/queue/tickets/${uuid}`).set('X-Queue-Ticket', 'a.b.c'),
        401,
      );
    });
  });

  describe('/api/admin/lines/:code', () => {
    it('needs the bearer token', async () => {
      expectClientError(await http().get(`/api/admin/lines/${LINE}`), 401);
      expectClientError(
        await http()
          .put(`/api/admin/lines/${LINE}`)
          .set('Authorization', 'Basic xyz')
          .send({ burst: 1 }),
        401,
      );
    });
    it('validates settings', async () => {
      const auth = `Bearer ${env.ADMIN_TOKEN}`;
      expectClientError(
        await http()
          .put(`/api/admin/lines/${LINE}`)
          .set('Authorization', auth)
          .send({ burst: 0.5 }),
        400,
        /burst/,
      );
      expectClientError(
        await http().put(`/api/admin/lines/bad!code`).set('Authorization', auth).send({ burst: 1 }),
        400,
        /code/,
      );
    });
  });

  it('documents the API, including the 307 body, at /docs', async () => {
    const res = await http().get('/docs/openapi.json');
    expect(res.status).toBe(200);
    const op = res.body.paths['/api/coupons/{code}/issue'].post;
    expect(op.responses['307'].content['application/json'].schema.$ref).toMatch(
      /WaitingResponseDto/,
    );
    expect(Object.keys(res.body.components.schemas.WaitingResponseDto.properties)).toEqual(
      expect.arrayContaining([
        'uuid',
        'partition',
        'offset',
        'committedOffset',
        'endOffset',
        'ahead',
        'behind',
        'etaSeconds',
        'pollAfterMs',
        'ticket',
      ]),
    );
    expect(res.body.paths['/api/queue/tickets/{uuid}'].delete).toBeDefined();
    expect(res.body.paths['/api/admin/lines/{code}'].put).toBeDefined();
  });

  it('answers 503 + Retry-After while the coupon catalogue is unavailable', async () => {
    const nobody = await freePort();
    const lonely = await startGateway(gatewayEnv({ COUPON_SERVICE_PORT: String(nobody) }));
    try {
      const res = await request(lonely.getHttpServer()).post(ISSUE).send({ userId: 'alice' });
      expect(res.status).toBe(503);
      expect(res.headers['retry-after']).toBe('1');
      expect(res.body.error).toBe('SERVICE_UNAVAILABLE');
    } finally {
      await lonely.close();
    }
  });
});

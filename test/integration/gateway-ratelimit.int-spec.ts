// Per-client rate limits on first requests and on polls, counted in Redis and
// so shared by every gateway; 429 + Retry-After with the JSON error body.
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { Env } from '@app/config';
import {
  dropGatewayState,
  FakeCouponService,
  gatewayEnv,
  startFakeCouponService,
  startGateway,
  waitFor,
} from '../support/gateway-harness';

jest.setTimeout(60_000);

const LINE = 'A0001';

describe('gateway rate limits (Redis-shared, per client)', () => {
  let coupons: FakeCouponService;
  const apps: NestFastifyApplication[] = [];
  const envs: Env[] = [];

  const start = async (overrides: Record<string, string>) => {
    const env = gatewayEnv({
      COUPON_SERVICE_PORT: String(coupons.port),
      LINE_PARTITIONS: '1',
      RATE_LIMIT_ALLOW_LIST: 'none', // loopback is exempt by default; not here
      RATE_LIMIT_JOINS_PER_MINUTE: '3',
      RATE_LIMIT_POLLS_PER_MINUTE: '5',
      ...overrides,
    });
    const app = await startGateway(env);
    apps.push(app);
    envs.push(env);
    await waitFor(
      async () => (await request(app.getHttpServer()).get('/api/coupons')).status === 200,
      10_000,
      'catalogue',
    );
    return { app, env };
  };
  const join = (app: NestFastifyApplication, userId: string, ip?: string) => {
    const req = request(app.getHttpServer()).post(`/api/coupons/${LINE}/issue`);
    if (ip) req.set('X-Forwarded-For', ip);
    return req.send({ userId });
  };

  beforeAll(async () => {
    coupons = await startFakeCouponService([{ code: LINE, quantity: 100 }]);
  });
  afterAll(async () => {
    for (const [i, app] of apps.entries()) {
      await dropGatewayState(app, envs[i]!);
      await app.close();
    }
    await coupons.close();
  });

  it('counts first requests per IP across gateways, and polls on a budget of their own', async () => {
    const { app: one, env } = await start({});
    // a second gateway of the same deployment (same Redis prefix, same Kafka)
    const two = await startGateway(env);
    apps.push(two);
    envs.push(env);

    const first = await join(one, 'rl-a');
    expect(first.status).toBe(307);
    expect((await join(two, 'rl-b')).status).toBe(307);
    expect((await join(one, 'rl-c')).status).toBe(307);
    const refused = await join(two, 'rl-d');
    expect(refused.status).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(refused.body).toMatchObject({ statusCode: 429, error: 'RATE_LIMITED' });
    expect(refused.body.message).toMatch(/at most 3 a minute/);
    // another client (its IP through the ingress) has its own budget
    expect((await join(one, 'rl-e', '203.0.113.7')).status).toBe(307);

    // Polls spend the poll budget, not the join budget.
    const poll = () =>
      request(two.getHttpServer())
        .post(`/api/coupons/${LINE}/issue`)
        .set('X-Queue-Ticket', first.body.ticket)
        .send({ userId: 'rl-a' });
    for (let i = 0; i < 5; i++) expect((await poll()).status).toBe(307);
    const tooMany = await poll();
    expect(tooMany.status).toBe(429);
    expect(tooMany.body.message).toMatch(/requests for tickets/);

    // Health, metrics and the line state are not the waiting room's budget.
    for (let i = 0; i < 8; i++) {
      expect((await request(one.getHttpServer()).get('/health/live')).status).toBe(200);
    }
  });

  it('can count per user instead (RATE_LIMIT_KEY=user)', async () => {
    const { app } = await start({ RATE_LIMIT_KEY: 'user' });
    for (let i = 0; i < 3; i++) expect((await join(app, 'per-user-x')).status).toBe(307);
    expect((await join(app, 'per-user-x')).status).toBe(429);
    expect((await join(app, 'per-user-y')).status).toBe(307);
  });
});

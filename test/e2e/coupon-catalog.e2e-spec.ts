import { Module } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { createHttpApp, createLoggerModule } from '@app/common';
import { ConfigModule, loadEnv } from '@app/config';
import { CatalogModule } from '../../apps/queue-gateway/src/catalog';
import { CouponInstance, CouponTestWorld, freePort } from '../support/coupon-harness';

jest.setTimeout(60_000);

/** The gateway's read API (CatalogModule) in-process, in front of `port`. */
async function gatewayFor(port: number): Promise<NestFastifyApplication> {
  const env = loadEnv({
    ...process.env,
    COUPON_SERVICE_PORT: String(port),
    COUPON_SERVICE_TIMEOUT_MS: '2000',
  });
  @Module({
    imports: [ConfigModule.forRoot(env), createLoggerModule(env, 'gateway-test'), CatalogModule],
  })
  class TestGateway {}
  return createHttpApp(TestGateway, { title: 'test', description: 'test', swagger: false });
}

describe('gateway read API (CatalogModule) against a real coupon-service process', () => {
  const world = new CouponTestWorld();
  let service: CouponInstance;
  let app: NestFastifyApplication;

  beforeAll(async () => {
    await world.setUp(2);
    service = await new CouponInstance(world).start();
    app = await gatewayFor(service.tcpPort);
    expect((await service.issue({ code: 'A0001', userId: 'alice' })).outcome).toBe('issued');
    expect((await service.issue({ code: 'C0001', userId: 'alice' })).outcome).toBe('issued');
    expect((await service.issue({ code: 'C0001', userId: 'bob' })).outcome).toBe('issued');
  });

  afterAll(async () => {
    await app?.close();
    await service?.stop();
    await world.tearDown();
  });

  describe('GET /api/coupons', () => {
    it('lists every coupon with its remaining stock', async () => {
      const res = await request(app.getHttpServer()).get('/api/coupons').expect(200);
      expect(res.body).toEqual([
        { code: 'A0001', name: '10,000 won off', discount: 10000, quantity: 300, remaining: 299 },
        { code: 'B0001', name: '5,000 won off', discount: 5000, quantity: 2000, remaining: 2000 },
        { code: 'C0001', name: '1,000 won off', discount: 1000, quantity: 10000, remaining: 9998 },
      ]);
    });
  });

  describe('GET /api/users/:userId/coupons', () => {
    it("returns the user's wallet, matching PostgreSQL", async () => {
      const res = await request(app.getHttpServer()).get('/api/users/alice/coupons').expect(200);
      const rows: { coupon_code: string; id: string; issued_at: Date }[] = await world.db.query(
        `SELECT coupon_code, id, issued_at FROM coupon_wallet WHERE user_id = 'alice' ORDER BY issued_at, coupon_code`,
      );
      expect(res.body).toEqual(
        rows.map((r) => ({
          couponCode: r.coupon_code,
          walletId: r.id,
          issuedAt: r.issued_at.toISOString(),
          usedAt: null,
        })),
      );
      expect(res.body.map((e: { couponCode: string }) => e.couponCode).sort()).toEqual([
        'A0001',
        'C0001',
      ]);
    });

    it('returns an empty wallet for a user with no coupons', async () => {
      await request(app.getHttpServer()).get('/api/users/nobody/coupons').expect(200, []);
    });

    it('accepts a 64-character and a non-ASCII user id', async () => {
      await request(app.getHttpServer())
        .get(`/api/users/${'x'.repeat(64)}/coupons`)
        .expect(200, []);
      await request(app.getHttpServer())
        .get(`/api/users/${encodeURIComponent('김철수')}/coupons`)
        .expect(200, []);
    });

    it.each([
      ['over 64 characters', 'x'.repeat(65)],
      ['a NUL byte', 'a%00b'],
      ['a newline', 'a%0Ab'],
      ['an escape character', 'a%1Bb'],
    ])('rejects a user id with %s: 400 with a JSON error', async (_label, id) => {
      const res = await request(app.getHttpServer()).get(`/api/users/${id}/coupons`).expect(400);
      expect(res.body).toMatchObject({ statusCode: 400, error: 'VALIDATION_FAILED' });
      expect(res.body.message).toMatch(/userId/);
    });
  });

  describe('when the coupon service restarts', () => {
    it('answers 503 while it is down and reconnects once it is back', async () => {
      await service.stop();
      const res = await request(app.getHttpServer()).get('/api/coupons').expect(503);
      expect(res.headers['retry-after']).toBe('1');
      await service.start();
      const back = await request(app.getHttpServer()).get('/api/users/alice/coupons').expect(200);
      expect(back.body).toHaveLength(2);
    });
  });

  describe('when the coupon service cannot be reached', () => {
    let down: NestFastifyApplication;

    beforeAll(async () => {
      down = await gatewayFor(await freePort());
    });

    afterAll(async () => {
      await down?.close();
    });

    it('answers 503 with Retry-After, not a 500', async () => {
      const res = await request(down.getHttpServer()).get('/api/coupons').expect(503);
      expect(res.headers['retry-after']).toBe('1');
      expect(res.body).toMatchObject({ statusCode: 503, error: 'SERVICE_UNAVAILABLE' });
      const wallet = await request(down.getHttpServer())
        .get('/api/users/alice/coupons')
        .expect(503);
      expect(wallet.body.message).toMatch(/coupon service/i);
    });
  });
});

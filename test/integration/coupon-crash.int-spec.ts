import { CouponView, IssueCouponResult } from '@app/contracts';
import { CouponInstance, CouponTestWorld, waitFor } from '../support/coupon-harness';

jest.setTimeout(120_000);

const CODE = 'B0001';
const QUANTITY = 2000;

describe('coupon-service: kill -9 an instance in the middle of a burst', () => {
  const world = new CouponTestWorld();
  const instances: CouponInstance[] = [];
  // short leases and frequent reconciliation, so a crashed holder's reservations come back quickly
  const env = { COUPON_LOCK_TTL_MS: '1000', COUPON_RECONCILE_INTERVAL_MS: '500' };

  beforeAll(async () => {
    await world.setUp(2);
    for (let i = 0; i < 3; i++) instances.push(new CouponInstance(world, env));
    await Promise.all(instances.map((i) => i.start()));
  });

  afterAll(async () => {
    await Promise.all(instances.map((i) => i.stop()));
    await world.tearDown();
  });

  const pgCount = async () => (await world.pgHolders(CODE)).length;

  async function untilFinal(
    pick: () => CouponInstance,
    userId: string,
  ): Promise<IssueCouponResult> {
    for (;;) {
      const result = await pick()
        .issue({ code: CODE, userId })
        .catch(() => null);
      if (result && result.outcome !== 'busy') return result;
      await new Promise((r) => setTimeout(r, 20 + Math.random() * 30));
    }
  }

  async function expectRedisMatchesPostgres(): Promise<string[]> {
    const pg = await waitFor(
      async () => {
        const [redis, pg] = [await world.redisHolders(CODE), await world.pgHolders(CODE)];
        const settled = Object.values(redis).every((m) => m === 'i');
        return settled && JSON.stringify(Object.keys(redis).sort()) === JSON.stringify(pg)
          ? pg
          : null;
      },
      20_000,
      'Redis holders to equal PostgreSQL wallet rows',
      100,
    );
    return pg;
  }

  it('never oversells or duplicates, and Redis converges to PostgreSQL after restart', async () => {
    const lost: string[] = [];
    const told = new Map<string, IssueCouponResult['outcome']>();
    const calls: Promise<void>[] = [];
    // Keep every instance busy with fresh users until the kill, so the killed
    // process certainly has requests (and reservations) in flight when it dies.
    let sending = true;
    const sender = (async () => {
      for (let wave = 0; sending && wave < 100; wave++) {
        for (let i = 0; i < 150; i++) {
          const userId = `crash-${wave}-${i}`;
          calls.push(
            instances[i % 3]!.issue({ code: CODE, userId })
              .then((r) => void told.set(userId, r.outcome))
              .catch(() => void lost.push(userId)),
          );
        }
        await new Promise((r) => setTimeout(r, 25));
      }
    })();

    await waitFor(async () => (await pgCount()) >= 300, 60_000, '300 coupons issued', 10);
    await instances[0]!.kill9();
    sending = false;
    await sender;
    await Promise.all(calls);
    expect(lost.length).toBeGreaterThan(0);

    await instances[0]!.start();
    // every request that got no answer is retried (as the gateway's client would) until final
    let n = 0;
    const retried = await Promise.all(
      lost.map((u) => untilFinal(() => instances[n++ % 3]!, u).then((r) => [u, r] as const)),
    );
    for (const [u, r] of retried) told.set(u, r.outcome);
    for (const [u, outcome] of told)
      if (outcome === 'busy') told.set(u, (await untilFinal(() => instances[1]!, u)).outcome);

    const afterCrash = await expectRedisMatchesPostgres();
    expect(afterCrash.length).toBeLessThanOrEqual(QUANTITY);
    expect(await world.duplicateHolders()).toBe(0);
    // everyone told "issued" holds it in PostgreSQL
    const pgSet = new Set(afterCrash);
    for (const [u, outcome] of told) if (outcome === 'issued') expect(pgSet.has(u)).toBe(true);

    // reservations of the killed process came back: fresh users can take exactly what is left
    const fresh = Array.from({ length: QUANTITY - afterCrash.length + 50 }, (_, i) => `fresh-${i}`);
    const freshAnswers = await Promise.all(
      fresh.map((u, i) => untilFinal(() => instances[i % 3]!, u)),
    );
    expect(freshAnswers.filter((r) => r.outcome === 'issued')).toHaveLength(
      QUANTITY - afterCrash.length,
    );
    const final = await expectRedisMatchesPostgres();
    expect(final).toHaveLength(QUANTITY);
    expect(await world.duplicateHolders()).toBe(0);
    const views = await instances[2]!.send<CouponView[]>('coupon.list', {});
    expect(views.find((v) => v.code === CODE)).toMatchObject({ quantity: QUANTITY, remaining: 0 });
  });

  it('rebuilds Redis from PostgreSQL when Redis has lost its state', async () => {
    const before = await world.pgHolders(CODE);
    const epochBefore = Number(await world.redis.get(`${world.redisPrefix}coupon:${CODE}:ready`));
    await world.redis.del(
      `${world.redisPrefix}coupon:${CODE}:holders`,
      `${world.redisPrefix}coupon:${CODE}:ready`,
    );

    // the next request finds no view, rebuilds it from PostgreSQL (or answers busy
    // while another instance does), and answers from it
    expect(await untilFinal(() => instances[1]!, 'after-redis-loss')).toEqual({
      outcome: 'sold_out',
      couponCode: CODE,
    });
    expect(await untilFinal(() => instances[2]!, before[0]!)).toMatchObject({
      outcome: 'already_issued',
    });
    const redis = await world.redisHolders(CODE);
    expect(Object.keys(redis).sort()).toEqual(before);
    expect(
      Number(await world.redis.get(`${world.redisPrefix}coupon:${CODE}:ready`)),
    ).toBeGreaterThan(epochBefore);
    expect(await world.pgHolders(CODE)).toEqual(before);
  });
});

import { CouponView, IssueCouponResult } from '@app/contracts';
import {
  CouponInstance,
  CouponTestWorld,
  issueUntilFinal,
  waitFor,
} from '../support/coupon-harness';

jest.setTimeout(120_000);

type Final = Exclude<IssueCouponResult['outcome'], 'busy'>;

describe('coupon-service: 10,000 concurrent issues of A0001 across 3 processes', () => {
  const world = new CouponTestWorld();
  const instances: CouponInstance[] = [];

  beforeAll(async () => {
    await world.setUp(2);
    for (let i = 0; i < 3; i++) instances.push(new CouponInstance(world));
    await Promise.all(instances.map((i) => i.start()));
  });

  afterAll(async () => {
    await Promise.all(instances.map((i) => i.stop()));
    await world.tearDown();
  });

  it('issues exactly 300, at most one per user, and Redis agrees with PostgreSQL', async () => {
    const users = Array.from({ length: 5000 }, (_, i) => `user-${i}`);
    // every user twice at once, the two requests on different instances
    const calls = users.flatMap((userId, i) => [
      issueUntilFinal(instances[i % 3]!, 'A0001', userId).then((r) => ({ userId, ...r })),
      issueUntilFinal(instances[(i + 1) % 3]!, 'A0001', userId).then((r) => ({ userId, ...r })),
    ]);
    const answers = await Promise.all(calls);

    expect(answers).toHaveLength(10_000);
    const byOutcome = new Map<Final, number>();
    const perUser = new Map<string, Final[]>();
    for (const { userId, result } of answers) {
      const outcome = result.outcome as Final;
      byOutcome.set(outcome, (byOutcome.get(outcome) ?? 0) + 1);
      perUser.set(userId, [...(perUser.get(userId) ?? []), outcome]);
    }
    expect(byOutcome.get('issued')).toBe(300);
    expect([...byOutcome.keys()].sort()).toEqual(['already_issued', 'issued', 'sold_out']);
    for (const [, outcomes] of perUser) {
      const issued = outcomes.filter((o) => o === 'issued').length;
      expect(issued).toBeLessThanOrEqual(1);
      // the twin of an issued request learns it was already issued, never "sold out"
      if (issued === 1) expect(outcomes.sort()).toEqual(['already_issued', 'issued']);
    }

    // PostgreSQL: 300 rows, no duplicates, exactly the users told "issued"
    const pg = await world.pgHolders('A0001');
    expect(pg).toHaveLength(300);
    expect(await world.duplicateHolders()).toBe(0);
    const toldIssued = answers
      .filter((a) => a.result.outcome === 'issued')
      .map((a) => a.userId)
      .sort();
    expect(pg).toEqual(toldIssued);

    // Redis: the same holders, all settled as issued, nothing pending
    const redis = await world.redisHolders('A0001');
    expect(Object.keys(redis).sort()).toEqual(pg);
    expect(new Set(Object.values(redis))).toEqual(new Set(['i']));

    const views = await instances[0]!.send<CouponView[]>('coupon.list', {});
    expect(views.find((v) => v.code === 'A0001')).toMatchObject({ quantity: 300, remaining: 0 });
    expect(views.find((v) => v.code === 'B0001')).toMatchObject({
      quantity: 2000,
      remaining: 2000,
    });
  });

  it('answers a sold-out or repeated request without touching stock', async () => {
    const before = await world.redisHolders('A0001');
    const pgUser = (await world.pgHolders('A0001'))[0]!;
    expect(await instances[1]!.issue({ code: 'A0001', userId: 'late-comer' })).toEqual({
      outcome: 'sold_out',
      couponCode: 'A0001',
    });
    expect(await instances[2]!.issue({ code: 'A0001', userId: pgUser })).toEqual({
      outcome: 'already_issued',
      couponCode: 'A0001',
      userId: pgUser,
    });
    expect(await world.redisHolders('A0001')).toEqual(before);
  });

  it('rejects bad input with a final answer', async () => {
    const svc = instances[0]!;
    expect(await svc.issue({ code: 'Z9999', userId: 'alice' })).toEqual({
      outcome: 'unknown_coupon',
      couponCode: 'Z9999',
    });
    expect((await svc.issue({ code: 'B0001', userId: '' })).outcome).toBe('invalid');
    expect((await svc.issue({ code: 'B0001', userId: 'x'.repeat(65) })).outcome).toBe('invalid');
    expect((await svc.issue({ code: 'B0001', userId: 'a\u0000b' })).outcome).toBe('invalid');
    expect((await svc.issue({ code: 'B0001', userId: 42 as unknown as string })).outcome).toBe(
      'invalid',
    );
    await waitFor(async () => (await world.redisHolders('B0001')) !== null, 1000);
    expect(await world.redisHolders('B0001')).toEqual({});
  });
});

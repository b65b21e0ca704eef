import { CouponView } from '@app/contracts';
import {
  CouponInstance,
  CouponTestWorld,
  issueUntilFinal,
  waitFor,
} from '../support/coupon-harness';

jest.setTimeout(120_000);

const CODE = 'A0001';
const QUANTITY = 300;

/**
 * Redis losing recent writes while keeping the ready marker: what a restart
 * from an AOF written every second, or a failover to a replica that was
 * behind, looks like to the coupon service. Before PostgreSQL guarded the
 * quantity itself, every lost issued mark was one more coupon to give away.
 */
describe('coupon-service: Redis rolls back recent writes', () => {
  const world = new CouponTestWorld();
  const key = (suffix: string) => `${world.redisPrefix}coupon:${CODE}:${suffix}`;
  const epoch = async () => Number(await world.redis.get(key('ready')));
  let a: CouponInstance;
  let b: CouponInstance;

  beforeAll(async () => {
    await world.setUp(2);
    // `a` never reconciles on its own during the test (the rollback must be met
    // by an issue, not repaired first); `b` reconciles often, for the run-id case.
    a = new CouponInstance(world, { COUPON_RECONCILE_INTERVAL_MS: '600000' });
    b = new CouponInstance(world, {
      COUPON_RECONCILE_INTERVAL_MS: '300',
      COUPON_FENCE_RETENTION_SECONDS: '2',
    });
    await a.start();
  });

  afterAll(async () => {
    await Promise.all([a.stop(), b.stop()]);
    await world.tearDown();
  });

  it('never issues more than the quantity, and rebuilds the view it found wrong', async () => {
    const first = await Promise.all(
      Array.from({ length: QUANTITY }, (_, i) => issueUntilFinal(a, CODE, `early-${i}`)),
    );
    expect(first.every((r) => r.result.outcome === 'issued')).toBe(true);
    const epochBefore = await epoch();

    // The last 100 issued marks are lost; the ready marker survives.
    const lost = Array.from({ length: 100 }, (_, i) => `early-${QUANTITY - 1 - i}`);
    await world.redis.hdel(key('holders'), ...lost);
    expect(Object.keys(await world.redisHolders(CODE))).toHaveLength(QUANTITY - 100);

    const late = await Promise.all(
      Array.from({ length: 150 }, (_, i) => issueUntilFinal(a, CODE, `late-${i}`)),
    );
    expect(late.map((r) => r.result.outcome).filter((o) => o !== 'sold_out')).toEqual([]);
    expect(await world.pgHolders(CODE)).toHaveLength(QUANTITY);
    expect(await world.duplicateHolders()).toBe(0);
    const stock: { left: number; negative: number }[] = await world.db.query(
      `SELECT sum(remaining)::int AS left, count(*) FILTER (WHERE remaining < 0)::int AS negative
       FROM coupon_stock WHERE coupon_code = $1`,
      [CODE],
    );
    expect(stock[0]).toEqual({ left: 0, negative: 0 });

    // The view was found wrong and rebuilt from PostgreSQL: a lost holder is
    // known again, and the read API says sold out.
    expect((await issueUntilFinal(a, CODE, lost[0]!)).result.outcome).toBe('already_issued');
    expect(await epoch()).toBeGreaterThan(epochBefore);
    expect(Object.keys(await world.redisHolders(CODE)).sort()).toEqual(await world.pgHolders(CODE));
    const views = await a.send<CouponView[]>('coupon.list', {});
    expect(views.find((v) => v.code === CODE)).toMatchObject({ quantity: QUANTITY, remaining: 0 });
  });

  it('drops and rebuilds every view when Redis is not the server they were built on', async () => {
    await b.start();
    const runId = /^run_id:(\w+)/m.exec(await world.redis.info('server'))![1]!;
    const serverKey = `${world.redisPrefix}coupon:view:server`;
    await waitFor(async () => (await world.redis.get(serverKey)) === runId, 10_000, 'run id');
    const epochBefore = await epoch();

    // What a restarted or promoted Redis looks like from here: the views were
    // recorded as built on another server, and issued marks are missing.
    await world.redis.hdel(key('holders'), 'early-0', 'early-1');
    await world.redis.set(serverKey, 'a-server-that-is-gone');

    await waitFor(
      async () => (await world.redis.get(serverKey)) === runId && (await epoch()) > epochBefore,
      10_000,
      'views rebuilt under a new epoch',
      50,
    );
    await waitFor(
      async () => Object.keys(await world.redisHolders(CODE)).length === QUANTITY,
      10_000,
      'the rebuilt view to hold every PostgreSQL holder',
      50,
    );
    expect(Object.keys(await world.redisHolders(CODE)).sort()).toEqual(await world.pgHolders(CODE));
  });

  it('prunes lock fences past their retention (lock_fence does not grow with every user forever)', async () => {
    const count = async () =>
      ((await world.db.query(`SELECT count(*)::int AS n FROM lock_fence`)) as { n: number }[])[0]!
        .n;
    // Test one wrote a fence per issue; `b` prunes those older than 2 s.
    await waitFor(async () => (await count()) === 0, 15_000, 'every old fence pruned', 100);
    expect((await issueUntilFinal(b, CODE, 'early-5')).result.outcome).toBe('already_issued');
  });
});

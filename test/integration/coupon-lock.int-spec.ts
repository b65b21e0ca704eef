import Redis from 'ioredis';
import { loadEnv } from '@app/config';
import { RedisLock } from '@app/lock';
import { CouponRepository } from '../../apps/coupon-service/src/issuance/coupon.repository';
import { CouponTestWorld, randomName, waitFor } from '../support/coupon-harness';

jest.setTimeout(60_000);

describe('RedisLock (real Redis)', () => {
  let redis: Redis;
  let lock: RedisLock;
  const prefix = `${randomName('cwlock')}:`;

  beforeAll(() => {
    const env = loadEnv();
    redis = new Redis({ host: env.REDIS_HOST, port: env.REDIS_PORT, keyPrefix: prefix });
    lock = new RedisLock(redis, 'test-lock');
  });

  afterAll(async () => {
    const raw = new Redis({ host: redis.options.host, port: redis.options.port });
    const keys = await raw.keys(`${prefix}*`);
    if (keys.length) await raw.del(...keys);
    raw.disconnect();
    redis.disconnect();
  });

  it('is exclusive, with a random token and strictly increasing fences', async () => {
    const a = await lock.tryAcquire('r1', 5000);
    expect(a).not.toBeNull();
    expect(a!.token).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(await lock.tryAcquire('r1', 5000)).toBeNull();
    // the key lives under the client's prefix
    expect(await redis.pttl(a!.key)).toBeGreaterThan(4000);
    const b = await lock.tryAcquire('r2', 5000);
    expect(b!.fence).toBeGreaterThan(a!.fence);
    expect(b!.token).not.toEqual(a!.token);
    expect(await lock.release(a!)).toBe(true);
    const c = await lock.tryAcquire('r1', 5000);
    expect(c!.fence).toBeGreaterThan(b!.fence);
    await lock.release(b!);
    await lock.release(c!);
  });

  it('expires after its TTL and can then be taken by someone else', async () => {
    const a = await lock.tryAcquire('expiring', 150);
    expect(a).not.toBeNull();
    expect(await lock.tryAcquire('expiring', 150)).toBeNull();
    const b = await waitFor(
      () => lock.tryAcquire('expiring', 5000),
      3000,
      'the lease to expire',
      20,
    );
    expect(b.fence).toBeGreaterThan(a!.fence);
    expect(await lock.isHeld(a!)).toBe(false);
    expect(await lock.isHeld(b)).toBe(true);
    await lock.release(b);
  });

  it('refuses release by a non-holder, including a holder whose lease expired', async () => {
    const a = await lock.tryAcquire('guarded', 100);
    expect(await lock.release({ key: a!.key, token: 'not-the-token' })).toBe(false);
    expect(await lock.isLocked('guarded')).toBe(true);

    const b = await waitFor(
      () => lock.tryAcquire('guarded', 5000),
      3000,
      'the lease to expire',
      20,
    );
    // a's lease expired and b holds the lock now: a's release must not delete b's lock
    expect(await lock.release(a!)).toBe(false);
    expect(await lock.isHeld(b)).toBe(true);
    expect(await lock.extend(a!, 5000)).toBe(false);
    expect(await lock.extend(b, 8000)).toBe(true);
    expect(await redis.pttl(b.key)).toBeGreaterThan(5000);
    expect(await lock.release(b)).toBe(true);
    expect(await lock.isLocked('guarded')).toBe(false);
  });

  it('waits for a held lock up to waitMs, then gives up', async () => {
    const a = await lock.tryAcquire('contended', 300);
    const started = Date.now();
    expect(
      await lock.acquire('contended', { ttlMs: 1000, waitMs: 50, retryDelayMs: 10 }),
    ).toBeNull();
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    // a is never released: the waiter gets it once the TTL runs out
    const b = await lock.acquire('contended', { ttlMs: 1000, waitMs: 3000, retryDelayMs: 10 });
    expect(b!.fence).toBeGreaterThan(a!.fence);
    await lock.release(b!);
  });

  it('raiseFence only raises the counter', async () => {
    const a = await lock.tryAcquire('raised', 1000);
    await lock.raiseFence(a!.fence + 1000);
    await lock.raiseFence(5);
    const b = await lock.tryAcquire('raised-2', 1000);
    expect(b!.fence).toBe(a!.fence + 1001);
    await lock.release(a!);
    await lock.release(b!);
  });
});

describe('fencing: the protected write (coupon_wallet insert) rejects a stale holder', () => {
  const world = new CouponTestWorld();
  let repository: CouponRepository;
  let lock: RedisLock;
  let redis: Redis;

  beforeAll(async () => {
    await world.setUp(2);
    repository = new CouponRepository(world.db);
    const env = loadEnv();
    redis = new Redis({ host: env.REDIS_HOST, port: env.REDIS_PORT, keyPrefix: world.redisPrefix });
    lock = new RedisLock(redis, 'coupon-lock');
  });

  afterAll(async () => {
    redis.disconnect();
    await world.tearDown();
  });

  const epochOf = async (code: string) => (await repository.coupon(code))!.epoch;

  it('refuses the write of a holder whose lease expired after a newer holder wrote', async () => {
    const epoch = await epochOf('A0001');
    const stale = (await lock.tryAcquire('issue:A0001:alice', 100))!;
    // stale "pauses" past its TTL; a newer holder takes the lock and writes its fence
    const fresh = await waitFor(
      () => lock.tryAcquire('issue:A0001:alice', 5000),
      3000,
      'the stale lease to expire',
      20,
    );
    expect(await repository.advanceFence(fresh.key, fresh.fence)).toBe(true);

    const late = await repository.insertFenced({
      code: 'A0001',
      userId: 'alice',
      epoch,
      lockKey: stale.key,
      fence: stale.fence,
    });
    expect(late).toEqual({ outcome: 'stale' });
    expect(await world.pgHolders('A0001')).toEqual([]);

    // the current holder's write goes through
    const ok = await repository.insertFenced({
      code: 'A0001',
      userId: 'alice',
      epoch,
      lockKey: fresh.key,
      fence: fresh.fence,
    });
    expect(ok.outcome).toBe('issued');
    expect(await world.pgHolders('A0001')).toEqual(['alice']);
    await lock.release(fresh);
  });

  it('tells a duplicate (current fence, row exists) apart from a stale write', async () => {
    const epoch = await epochOf('A0001');
    const lease = (await lock.tryAcquire('issue:A0001:alice', 5000))!;
    const again = await repository.insertFenced({
      code: 'A0001',
      userId: 'alice',
      epoch,
      lockKey: lease.key,
      fence: lease.fence,
    });
    expect(again).toEqual({ outcome: 'duplicate' });
    // an older fence for the same key (taken before `lease`) is refused even though the row exists
    const older = await repository.insertFenced({
      code: 'A0001',
      userId: 'alice',
      epoch,
      lockKey: lease.key,
      fence: lease.fence - 1,
    });
    expect(older).toEqual({ outcome: 'stale' });
    expect(await world.pgHolders('A0001')).toEqual(['alice']);
    await lock.release(lease);
  });

  it('refuses a write reserved under an epoch that a rebuild has since replaced', async () => {
    const old = await epochOf('B0001');
    const lease = (await lock.tryAcquire('issue:B0001:carol', 5000))!;
    const next = await repository.bumpEpoch('B0001');
    expect(next).toBe(old + 1);
    const late = await repository.insertFenced({
      code: 'B0001',
      userId: 'carol',
      epoch: old,
      lockKey: lease.key,
      fence: lease.fence,
    });
    expect(late).toEqual({ outcome: 'stale' });
    expect(await world.pgHolders('B0001')).toEqual([]);
    await lock.release(lease);
  });
});

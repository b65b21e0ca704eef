import { RedisKeys } from '@app/queue';
import {
  admitterTestEnv,
  AdmitterHandle,
  AdmitterWorld,
  startAdmitter,
  waitFor,
} from '../support/admitter-harness';

jest.setTimeout(60_000);

/** Every key a run leaves behind expires, and the active set does not keep expired passes. */
describe('admitter: bounded state in Redis', () => {
  const env = admitterTestEnv({ PASS_TTL_SECONDS: '1', ABANDON_AFTER_SECONDS: '2' });
  const world = new AdmitterWorld(env);
  let admitter: AdmitterHandle | undefined;

  beforeAll(async () => {
    await world.init();
    admitter = await startAdmitter(env);
  });
  afterAll(async () => {
    await admitter?.close();
    await world.close();
  });

  it('prunes expired passes without a cap, and every key it wrote has a TTL', async () => {
    const line = 'BOUND1';
    await world.createLine(line);
    // No cap (maxActive 0): before, nothing ever removed expired passes.
    await world.setSettings(line, { ratePerSec: 1000, burst: 100, maxActive: 0 });
    const first = await world.enqueueMany(line, 100);
    await world.cancel(first.slice(0, 10).map((t) => t.uuid));
    await world.waitAllDecided(line, 20_000);
    expect(await world.redis.zcard(RedisKeys.lineActive(line))).toBeGreaterThan(0);

    // The passes expire (1 s); the next decision drops them from the active set.
    const expiredAt = Date.now() + 1100;
    await waitFor(() => Date.now() > expiredAt, 3000, 'the passes to expire');
    await world.enqueueMany(line, 1);
    await world.waitAllDecided(line, 20_000);
    expect(await world.redis.zcard(RedisKeys.lineActive(line))).toBe(1);

    // Everything but the admin's settings expires by itself.
    const prefix = env.REDIS_KEY_PREFIX;
    const keys = (await world.redis.keys(`${prefix}*`)).map((k) => k.slice(prefix.length));
    expect(keys.length).toBeGreaterThan(100);
    const ttls = await Promise.all(keys.map(async (k) => [k, await world.redis.ttl(k)] as const));
    const forever = ttls.filter(([k, ttl]) => ttl < 0 && k !== RedisKeys.lineSettings(line));
    expect(forever).toEqual([]);
  });
});

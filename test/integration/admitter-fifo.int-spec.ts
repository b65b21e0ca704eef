import { RedisKeys } from '@app/queue';
import {
  admitterTestEnv,
  AdmitterHandle,
  AdmitterWorld,
  startAdmitter,
  waitFor,
} from '../support/admitter-harness';

jest.setTimeout(60_000);

describe('admitter: FIFO admission with cancellations and abandonments', () => {
  const env = admitterTestEnv({ ABANDON_AFTER_SECONDS: '2' });
  const world = new AdmitterWorld(env);
  let admitter: AdmitterHandle | undefined;

  beforeAll(() => world.init());
  afterAll(async () => {
    await admitter?.close();
    await world.close();
  });

  it('admits exactly the live tickets, in offset order, and skips the rest without spending capacity', async () => {
    const line = 'FIFO1';
    await world.createLine(line);
    const isCancelled = (i: number) => i % 7 === 3;
    const isAbandoned = (i: number) => !isCancelled(i) && i % 11 === 5;
    const tickets = await world.enqueueMany(line, 1000, { heartbeat: (i) => !isAbandoned(i) });
    await world.cancel(tickets.filter((_, i) => isCancelled(i)).map((t) => t.uuid));
    // Abandoned = no poll for ABANDON_AFTER_SECONDS since the record was appended.
    const lastAppend = Math.max(...tickets.map((t) => t.appendTime));
    await waitFor(() => Date.now() > lastAppend + 2300, 5000, 'the abandon window to pass');
    // Capacity for exactly the live ones, if skips spent none: rate high, burst = live count.
    const live = tickets.filter((_, i) => !isCancelled(i) && !isAbandoned(i));
    await world.setSettings(line, { ratePerSec: 2000, burst: 100, maxActive: live.length });

    admitter = await startAdmitter(env);
    await world.waitAllDecided(line, 30_000);

    const admissions = await world.admissions(line);
    expect(admissions.map((a) => a.uuid)).toEqual(live.map((t) => t.uuid));
    expect(admissions.map((a) => a.offset)).toEqual(live.map((t) => t.offset));
    expect(await world.committed(line)).toEqual([1000]);

    for (const [i, t] of tickets.entries()) {
      const state = await world.ticketState(t.uuid);
      if (isCancelled(i)) {
        expect(state).toMatchObject({ skipped: 'cancelled' });
        expect(state.admittedAt).toBeUndefined();
      } else if (isAbandoned(i)) {
        expect(state).toMatchObject({ skipped: 'abandoned' });
        expect(state.admittedAt).toBeUndefined();
      } else {
        expect(state.skipped).toBeUndefined();
        expect(Number(state.admittedAt)).toBeGreaterThan(0);
      }
    }
    const stats = await world.redis.hgetall(RedisKeys.lineStats(line));
    const cancelled = tickets.filter((_, i) => isCancelled(i)).length;
    const abandoned = tickets.filter((_, i) => isAbandoned(i)).length;
    expect(stats).toEqual({
      admitted: String(live.length),
      skippedCancelled: String(cancelled),
      skippedAbandoned: String(abandoned),
    });
    expect(await world.redis.zcard(RedisKeys.lineActive(line))).toBe(live.length);

    const metrics = (await admitter.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toContain(`admitter_admitted_total{line="${line}"} ${live.length}`);
    expect(metrics).toContain(`admitter_skipped_cancelled_total{line="${line}"} ${cancelled}`);
    expect(metrics).toContain(`admitter_skipped_abandoned_total{line="${line}"} ${abandoned}`);
    expect(metrics).toContain(`admitter_rate_per_sec{line="${line}"} 2000`);
  });

  it('answers /health/live and /health/ready (Kafka, Redis)', async () => {
    const app = admitter!.app;
    expect((await app.inject({ method: 'GET', url: '/health/live' })).statusCode).toBe(200);
    const ready = await app.inject({ method: 'GET', url: '/health/ready' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toMatchObject({
      status: 'ok',
      info: { kafka: { status: 'up' }, redis: { status: 'up' } },
    });
  });
});

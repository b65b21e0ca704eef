import { RedisKeys, TicketFields } from '@app/queue';
import {
  admitterTestEnv,
  AdmitterHandle,
  AdmitterWorld,
  startAdmitter,
  waitFor,
} from '../support/admitter-harness';

jest.setTimeout(60_000);

const ABANDON_SECONDS = 2;

/**
 * Abandonment needs evidence about the holder: silence from everyone at once
 * (every gateway down or out of service, Redis restarted empty) is the system
 * going quiet, not the holders leaving.
 */
describe('admitter: nobody is abandoned because the system went quiet', () => {
  const env = admitterTestEnv({
    ABANDON_AFTER_SECONDS: String(ABANDON_SECONDS),
    ABANDON_SKIP_RATE_PER_SEC: '100',
  });
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

  const metric = async (name: string, line: string) => {
    const body = (await admitter!.app.inject({ method: 'GET', url: '/metrics' })).body;
    return new RegExp(`^${name}\\{line="${line}"\\} (\\d+)`, 'm').exec(body)?.[1];
  };

  it('pauses the line while no gateway heartbeats reach Redis, then admits everyone in order', async () => {
    const line = 'QUIET1';
    await world.createLine(line);
    await world.setSettings(line, { ratePerSec: 20, burst: 1 });
    const tickets = await world.enqueueMany(line, 200);
    await waitFor(async () => (await world.admissions(line)).length >= 10, 20_000, '10 admitted');

    // Every gateway goes quiet for twice the abandon window.
    world.silenceGateways();
    await waitFor(
      async () => (await metric('admitter_gateways_silent', line)) === '1',
      10_000,
      'the admitter to see the silence',
      50,
    );
    const before = (await world.admissions(line)).length;
    const quietSince = Date.now();
    await waitFor(
      () => Date.now() > quietSince + 2 * ABANDON_SECONDS * 1000,
      3 * ABANDON_SECONDS * 1000,
      'twice the abandon window of silence',
    );
    expect((await world.admissions(line)).length).toBe(before);
    expect(await world.redis.hget(RedisKeys.lineStats(line), 'skippedAbandoned')).toBeNull();

    // The gateways come back and the holders with them: nobody was skipped.
    world.resumeGateways();
    await world.setSettings(line, { ratePerSec: 500, burst: 50 });
    await world.waitAllDecided(line, 30_000);
    const admissions = await world.admissions(line);
    expect(admissions.map((a) => a.uuid)).toEqual(tickets.map((t) => t.uuid));
    expect(await world.redis.hget(RedisKeys.lineStats(line), 'skippedAbandoned')).toBeNull();
    expect(await metric('admitter_gateways_silent', line)).toBe('0');
  });

  it('bounds abandonment skips per second (ABANDON_SKIP_RATE_PER_SEC)', async () => {
    const line = 'QUIET2';
    await world.createLine(line);
    await world.setSettings(line, { ratePerSec: 0, burst: 1 }); // paused: only skips move it
    const gone = await world.enqueueMany(line, 400, { heartbeat: () => false });
    const lastAppend = Math.max(...gone.map((t) => t.appendTime));
    await waitFor(
      () => Date.now() > lastAppend + ABANDON_SECONDS * 1000 + 300,
      (ABANDON_SECONDS + 2) * 1000,
      'the abandon window to pass',
    );
    await world.waitAllDecided(line, 30_000);

    const skippedAt = await Promise.all(
      gone.map(async (t) => {
        const state = await world.ticketState(t.uuid);
        expect(state[TicketFields.skipped]).toBe('abandoned');
        return Number(state[TicketFields.skippedAt]);
      }),
    );
    // A full bucket of 100, then 100 a second: 400 skips take at least 3 s.
    const span = Math.max(...skippedAt) - Math.min(...skippedAt);
    expect(span).toBeGreaterThanOrEqual(2900);
    const firstSecond = skippedAt.filter((t) => t < Math.min(...skippedAt) + 1000).length;
    expect(firstSecond).toBeLessThanOrEqual(210);
  });
});

import { RedisKeys } from '@app/queue';
import {
  admitterTestEnv,
  AdmitterHandle,
  AdmitterWorld,
  startAdmitter,
  waitFor,
} from '../support/admitter-harness';

jest.setTimeout(60_000);

describe('admitter: rate, runtime settings and capacity', () => {
  const env = admitterTestEnv();
  const world = new AdmitterWorld(env);
  let admitter: AdmitterHandle;

  beforeAll(async () => {
    await world.init();
    admitter = await startAdmitter(env, { settingsRefreshMs: 200 });
  });
  afterAll(async () => {
    await admitter?.close();
    await world.close();
  });

  it('admits at the line rate (20/s, burst 1: 60 tickets over about 3 s)', async () => {
    const line = 'RATE1';
    await world.setSettings(line, { ratePerSec: 20, burst: 1 });
    await world.createLine(line);
    const tickets = await world.enqueueMany(line, 60);
    await waitFor(
      () => admitter.service.activeLines.includes(line),
      15_000,
      'the line to be assigned',
    );
    await world.waitAllDecided(line, 20_000);

    const at = (await world.admissions(line)).map((a) => a.at);
    expect(at).toHaveLength(60);
    const span = at[59] - at[0];
    // 59 intervals of 50 ms = 2.95 s; allow scheduling jitter either way.
    expect(span).toBeGreaterThanOrEqual(2800);
    expect(span).toBeLessThan(4500);
    // No second of the run admits more than rate + burst.
    for (let i = 0; i < at.length; i++) {
      expect(at.filter((t) => t >= at[i] && t < at[i] + 1000).length).toBeLessThanOrEqual(21);
    }
    expect((await world.admissions(line)).map((a) => a.uuid)).toEqual(tickets.map((t) => t.uuid));
  });

  it('applies a runtime change of line settings without a restart', async () => {
    const line = 'RATE2';
    await world.setSettings(line, { ratePerSec: 4, burst: 1 });
    await world.createLine(line);
    await world.enqueueMany(line, 80);
    await waitFor(
      async () => (await world.admissions(line)).length >= 5,
      20_000,
      'the first slow admissions',
    );
    const slow = await world.admissions(line);
    // At 4/s consecutive admissions are ~250 ms apart.
    for (let i = 1; i < 5; i++) expect(slow[i].at - slow[i - 1].at).toBeGreaterThanOrEqual(200);

    const changedAt = Date.now();
    await world.setSettings(line, { ratePerSec: 500, burst: 10 });
    await world.waitAllDecided(line, 10_000);
    // The ~75 left would take ~19 s at 4/s.
    expect(Date.now() - changedAt).toBeLessThan(4000);
    const metrics = (await admitter.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toContain(`admitter_rate_per_sec{line="${line}"} 500`);
  });

  it('never lets the active set exceed maxActive, and admits more as passes are spent', async () => {
    const line = 'CAP1';
    await world.setSettings(line, { ratePerSec: 1000, burst: 100, maxActive: 5 });
    await world.createLine(line);
    const tickets = await world.enqueueMany(line, 20);
    await waitFor(
      async () => (await world.committed(line))[0] === 5,
      20_000,
      'the first 5 admissions',
    );
    // Negative check: give the loop many capacity polls (50 ms each) to overstep, then look.
    await new Promise((r) => setTimeout(r, 500));
    expect(await world.committed(line)).toEqual([5]);
    expect(await world.redis.zcard(RedisKeys.lineActive(line))).toBe(5);

    // The gateway removes spent passes from the active set.
    await world.redis.zrem(
      RedisKeys.lineActive(line),
      tickets[0].uuid,
      tickets[1].uuid,
      tickets[2].uuid,
    );
    await waitFor(
      async () => (await world.committed(line))[0] === 8,
      10_000,
      'three more admissions',
    );
    expect(await world.redis.zcard(RedisKeys.lineActive(line))).toBe(5);
    expect((await world.admissions(line)).map((a) => a.uuid)).toEqual(
      tickets.slice(0, 8).map((t) => t.uuid),
    );
  });

  it('holds a line at ratePerSec 0 and resumes it when the rate is raised', async () => {
    const line = 'PAUSE1';
    await world.setSettings(line, { ratePerSec: 0, burst: 1 });
    await world.createLine(line);
    const tickets = await world.enqueueMany(line, 10);
    await world.cancel([tickets[0].uuid, tickets[1].uuid]);
    // Skips still advance: the two cancelled heads are decided, the first live one waits.
    await waitFor(
      async () => (await world.committed(line))[0] === 2,
      15_000,
      'the cancelled heads to be skipped',
    );
    // Negative check: several settings refreshes (200 ms) pass without an admission.
    await new Promise((r) => setTimeout(r, 700));
    expect(await world.admissions(line)).toEqual([]);

    await world.setSettings(line, { ratePerSec: 100, burst: 5 });
    await world.waitAllDecided(line, 10_000);
    expect((await world.admissions(line)).map((a) => a.uuid)).toEqual(
      tickets.slice(2).map((t) => t.uuid),
    );
  });

  it('pauses within one admission round: nothing written after a pause is admitted', async () => {
    const line = 'PAUSE2';
    await world.setSettings(line, { ratePerSec: 40, burst: 1 });
    await world.createLine(line);
    await world.enqueueMany(line, 200);
    await waitFor(async () => (await world.admissions(line)).length >= 10, 15_000, '10 admitted');

    // What the admin API does for a pause: write ratePerSec 0. Then someone new arrives.
    await world.setSettings(line, { ratePerSec: 0 });
    const atPause = (await world.admissions(line)).length;
    const [after] = await world.enqueue(line, [0]);
    // The admitter's cached settings (re-read every second) would still say 40/s.
    const since = Date.now();
    await waitFor(() => Date.now() > since + 1500, 3000, 'a second and a half');
    const admissions = await world.admissions(line);
    // At most the one decision already in flight when the pause was written.
    expect(admissions.length).toBeLessThanOrEqual(atPause + 1);
    expect(admissions.map((a) => a.uuid)).not.toContain(after!.uuid);
  });
});

import { RedisKeys } from '@app/queue';
import {
  AdmitterProcess,
  admitterTestEnv,
  AdmitterHandle,
  AdmitterWorld,
  spawnAdmitter,
  startAdmitter,
  Ticket,
  waitFor,
} from '../support/admitter-harness';

jest.setTimeout(120_000);

describe('admitter: restarts and several instances', () => {
  const env = admitterTestEnv();
  const world = new AdmitterWorld(env);
  const handles: AdmitterHandle[] = [];
  const start = async () => {
    const h = await startAdmitter(env);
    handles.push(h);
    return h;
  };

  beforeAll(() => world.init());
  afterAll(async () => {
    await Promise.all(handles.map((h) => h.close()));
    await world.close();
  });

  /** Every live ticket exactly once, in line order, and nothing else. */
  async function expectExactlyOnceInOrder(line: string, live: Ticket[]) {
    const uuids = (await world.admissions(line)).map((a) => a.uuid);
    expect(new Set(uuids).size).toBe(uuids.length);
    expect(uuids).toEqual(live.map((t) => t.uuid));
    expect(await world.redis.hget(RedisKeys.lineStats(line), 'admitted')).toBe(String(live.length));
  }

  it('an admitter stopped mid-line and started again admits nothing twice and skips nothing live', async () => {
    const line = 'RESTART1';
    await world.createLine(line);
    await world.setSettings(line, { ratePerSec: 100, burst: 1 });
    const tickets = await world.enqueueMany(line, 300);
    const cancelled = tickets.filter((_, i) => i % 10 === 9);
    await world.cancel(cancelled.map((t) => t.uuid));

    const first = await start();
    await waitFor(async () => (await world.admissions(line)).length >= 60, 30_000, '60 admissions');
    await first.close();
    const committedAtStop = (await world.committed(line))[0];
    expect(committedAtStop).toBeGreaterThanOrEqual(60);
    expect(committedAtStop).toBeLessThan(300);

    await start();
    await world.waitAllDecided(line, 30_000);
    await expectExactlyOnceInOrder(
      line,
      tickets.filter((t) => !cancelled.includes(t)),
    );
  });

  it('a restart after a crash between the Redis write and the commit does not admit again', async () => {
    const line = 'CRASH1';
    await world.createLine(line);
    await world.setSettings(line, { ratePerSec: 1000, burst: 100 });
    const tickets = await world.enqueueMany(line, 50);
    // What a crashed admitter leaves: 10 admissions written to Redis, offsets never committed.
    for (const t of tickets.slice(0, 10)) {
      await world.redis.hset(RedisKeys.ticket(t.uuid), 'admittedAt', Date.now());
      await world.redis.xadd(
        RedisKeys.lineAdmissions(line),
        '*',
        'uuid',
        t.uuid,
        'partition',
        0,
        'offset',
        t.offset,
        'at',
        Date.now(),
      );
      await world.redis.hincrby(RedisKeys.lineStats(line), 'admitted', 1);
    }
    expect(await world.committed(line)).toEqual([-1]);

    await waitFor(
      () => handles.some((h) => h.service.activeLines.includes(line)),
      15_000,
      'the line to be assigned',
    );
    await world.waitAllDecided(line, 20_000);
    await expectExactlyOnceInOrder(line, tickets);
  });

  it('a line moved to a new member by a rebalance mid-admission is admitted exactly once, in order', async () => {
    const line = 'MOVE1';
    await world.createLine(line);
    await world.setSettings(line, { ratePerSec: 80, burst: 1 });
    const tickets = await world.enqueueMany(line, 300);
    await waitFor(async () => (await world.admissions(line)).length >= 40, 30_000, '40 admissions');
    // A new member: three lines over two members, so some line moves (fair share) while admitting.
    await start();
    await world.waitAllDecided(line, 30_000);
    await expectExactlyOnceInOrder(line, tickets);
  });
});

describe('admitter: a hot standby on one line', () => {
  const env = admitterTestEnv();
  const world = new AdmitterWorld(env);
  const handles: AdmitterHandle[] = [];

  beforeAll(() => world.init());
  afterAll(async () => {
    await Promise.all(handles.map((h) => h.close()));
    await world.close();
  });

  it('two admitters: one admits, the other takes over when it stops; every live ticket exactly once, in order', async () => {
    const line = 'TWO1';
    await world.createLine(line);
    await world.setSettings(line, { ratePerSec: 80, burst: 1 });
    const tickets = await world.enqueueMany(line, 400);
    const a = await startAdmitter(env);
    handles.push(a);
    await waitFor(async () => (await world.admissions(line)).length >= 40, 30_000, '40 admissions');

    // A second instance joins the group: a rebalance, but the line stays where it is (sticky).
    const b = await startAdmitter(env);
    handles.push(b);
    await waitFor(
      () => b.service.joins > 0 && a.service.activeLines.length > 0,
      30_000,
      'the rebalance to end',
    );
    const before = (await world.admissions(line)).length;
    await waitFor(
      async () => (await world.admissions(line)).length >= before + 40,
      30_000,
      '40 more admissions',
    );
    expect(a.service.activeLines).toEqual([line]);
    expect(b.service.activeLines).toEqual([]);

    // The owner goes away mid-line: the standby takes the line over from the committed offset.
    await a.close();
    await waitFor(
      () => b.service.activeLines.includes(line),
      30_000,
      'the standby to take the line',
    );
    await world.waitAllDecided(line, 30_000);
    const uuids = (await world.admissions(line)).map((x) => x.uuid);
    expect(new Set(uuids).size).toBe(uuids.length);
    expect(uuids).toEqual(tickets.map((t) => t.uuid));
  });
});

describe('admitter: a real admitter process killed mid-line', () => {
  const env = admitterTestEnv();
  const world = new AdmitterWorld(env);
  let proc: AdmitterProcess | undefined;
  let successor: AdmitterHandle | undefined;

  beforeAll(() => world.init());
  afterAll(async () => {
    if (proc && proc.child.exitCode === null && proc.child.signalCode === null) {
      proc.child.kill('SIGKILL');
      await proc.exited;
    }
    await successor?.close();
    await world.close();
  });

  it('SIGKILL, then a new admitter: nothing admitted twice, nothing live skipped, order kept', async () => {
    const line = 'KILL1';
    await world.createLine(line);
    await world.setSettings(line, { ratePerSec: 60, burst: 1 });
    const tickets = await world.enqueueMany(line, 300);
    const cancelled = new Set(tickets.filter((_, i) => i % 13 === 4).map((t) => t.uuid));
    await world.cancel([...cancelled]);

    proc = spawnAdmitter(env);
    await waitFor(
      async () => (await world.admissions(line)).length >= 60 || proc!.child.exitCode !== null,
      60_000,
      '60 admissions by the child process',
    );
    expect(proc.stderr()).toBe('');
    proc.child.kill('SIGKILL');
    expect(await proc.exited).toBe('SIGKILL');
    const committedAtKill = (await world.committed(line))[0];
    expect(committedAtKill).toBeLessThan(300);

    // The dead member holds the line until its session times out (10 s); then the successor takes over.
    successor = await startAdmitter(env);
    await world.waitAllDecided(line, 60_000);
    const uuids = (await world.admissions(line)).map((a) => a.uuid);
    expect(new Set(uuids).size).toBe(uuids.length);
    expect(uuids).toEqual(tickets.filter((t) => !cancelled.has(t.uuid)).map((t) => t.uuid));
  });
});

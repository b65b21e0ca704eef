import {
  admitterTestEnv,
  AdmitterHandle,
  AdmitterWorld,
  startAdmitter,
  Ticket,
  waitFor,
} from '../support/admitter-harness';

jest.setTimeout(90_000);

/** Arrival order: broker append time, ties to the lower partition (then offset). */
const byArrival = (a: Ticket, b: Ticket) =>
  a.appendTime - b.appendTime || a.partition - b.partition || a.offset - b.offset;

describe('admitter: a line with 3 partitions', () => {
  const env = admitterTestEnv({ LINE_PARTITIONS: '3' });
  const world = new AdmitterWorld(env);
  let admitter: AdmitterHandle | undefined;

  beforeAll(() => world.init());
  afterAll(async () => {
    await admitter?.close();
    await world.close();
  });

  it('admits across partitions in append-time order, for a backlog and for live arrivals', async () => {
    const line = 'PART3';
    await world.createLine(line, 3);
    await world.setSettings(line, { ratePerSec: 2000, burst: 50 });
    // A fixed, uneven spread: runs on one partition, idle partitions, alternation.
    const pattern = [0, 0, 1, 2, 2, 2, 1, 0, 1, 1, 1, 1, 2, 0, 0, 0, 0, 2, 1, 2];
    const spread = (n: number) => Array.from({ length: n }, (_, i) => pattern[i % pattern.length]);

    const backlog = await world.enqueue(line, spread(120));
    admitter = await startAdmitter(env);
    await waitFor(
      () => admitter!.service.activeLines.includes(line),
      15_000,
      'the line to be assigned',
    );
    // Live: each ticket appended after the previous one was acknowledged, some only to partition 2.
    const live = await world.enqueue(line, [...spread(60), 2, 2, 2, 2, 0]);
    await world.waitAllDecided(line, 30_000);

    const expected = [...backlog, ...live].sort(byArrival);
    const admissions = await world.admissions(line);
    expect(admissions.map((a) => `${a.partition}:${a.offset}`)).toEqual(
      expected.map((t) => `${t.partition}:${t.offset}`),
    );
    // Sequential sends: append times follow send order (equal within a millisecond, then partition decides).
    const sent = [...backlog, ...live];
    for (let i = 1; i < sent.length; i++)
      expect(sent[i].appendTime).toBeGreaterThanOrEqual(sent[i - 1].appendTime);
    expect(new Set(admissions.map((a) => a.uuid))).toEqual(new Set(sent.map((t) => t.uuid)));
  });
});

describe('admitter: small buffers (pause and resume of partitions)', () => {
  const env = admitterTestEnv({ LINE_PARTITIONS: '3' });
  const world = new AdmitterWorld(env);
  let admitter: AdmitterHandle | undefined;

  beforeAll(() => world.init());
  afterAll(async () => {
    await admitter?.close();
    await world.close();
  });

  it('keeps arrival order when partitions are paused at a 16-record buffer and resumed (2 KiB fetches)', async () => {
    const line = 'SMALLBUF';
    await world.createLine(line, 3);
    await world.setSettings(line, { ratePerSec: 2000, burst: 50 });
    const spread = Array.from({ length: 300 }, (_, i) => [0, 1, 1, 2, 0, 2, 2, 1][i % 8]);
    const tickets = await world.enqueue(line, spread);
    admitter = await startAdmitter(env, {
      bufferMax: 16,
      decideBatch: 5,
      fetchMaxBytesPerPartition: 2048,
    });
    await world.waitAllDecided(line, 60_000);
    const admissions = await world.admissions(line);
    expect(admissions.map((a) => `${a.partition}:${a.offset}`)).toEqual(
      [...tickets].sort(byArrival).map((t) => `${t.partition}:${t.offset}`),
    );
  });
});

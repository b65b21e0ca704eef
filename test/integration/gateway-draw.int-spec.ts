// A scheduled line with a pre-queue (real Kafka, Redis and admitter): the seed
// is committed before, the draw happens at opensAt by itself, the published
// seed reproduces the order from Kafka, later arrivals queue behind, the
// admitter admits in the drawn order, and a drawer killed mid-way is resumed
// without losing or doubling anyone.
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import type Redis from 'ioredis';
import { createHash } from 'node:crypto';
import request from 'supertest';
import { Env } from '@app/config';
import { KafkaClient, readTopic } from '@app/kafka';
import { drawOrder, lineTopic, preQueueTopic, RedisKeys } from '@app/queue';
import { REDIS } from '@app/redis';
import { auditLine } from '../../apps/queue-gateway/src/audit/line-audit';
import { auditDraw } from '../../apps/queue-gateway/src/draw/audit-draw';
import { DRAW_HEADER, DrawService } from '../../apps/queue-gateway/src/draw/draw.service';
import { AdmitterHandle, startAdmitter } from '../support/admitter-harness';
import { GatewayCluster, joinLine, startGatewayCluster, waitFor } from '../support/gateway-harness';

jest.setTimeout(120_000);

const LINE = 'A0001';
const CRASH = 'B0001';

describe('scheduled line with a pre-queue and an auditable draw', () => {
  let cluster: GatewayCluster;
  let env: Env;
  let apps: NestFastifyApplication[];
  let admitter: AdmitterHandle | undefined;
  const http = (i = 0) => request(apps[i]!.getHttpServer());

  beforeAll(async () => {
    cluster = await startGatewayCluster(
      [
        { code: LINE, quantity: 1000 },
        { code: CRASH, quantity: 1000 },
      ],
      { LINE_PARTITIONS: '2', ABANDON_AFTER_SECONDS: '3600' },
      2,
    );
    ({ env, apps } = cluster);
  });
  afterAll(async () => {
    await admitter?.close();
    await cluster.close();
  });

  const schedule = (line: string, opensAt: number) =>
    http()
      .put(`/api/admin/lines/${line}`)
      .set('Authorization', `Bearer ${env.ADMIN_TOKEN}`)
      .send({ opensAt: new Date(opensAt).toISOString(), preQueue: true, ratePerSec: 0 });
  /** Every gateway follows a schedule within a quarter of a second: wait until both do. */
  const scheduledEverywhere = (line: string) =>
    waitFor(
      async () => {
        const views = await Promise.all(apps.map((_, i) => http(i).get(`/api/lines/${line}/draw`)));
        return views.every((v) => v.body.status === 'scheduled');
      },
      5000,
      `every gateway to see ${line} scheduled`,
      50,
    );
  /** A first request, retried on 503 + Retry-After the way a client does (a topic just made). */
  const join = (line: string, userId: string, gateway = 0) =>
    joinLine(apps[gateway]!, line, { userId });
  const drawnRecords = async (line: string) =>
    (await readTopic(apps[0]!.get(KafkaClient), lineTopic(env.KAFKA_TOPIC_PREFIX, line)))
      .filter((r) => r.headers[DRAW_HEADER] !== undefined)
      .sort((a, b) => Number(a.headers[DRAW_HEADER]) - Number(b.headers[DRAW_HEADER]));
  const recomputed = async (line: string, seed: string, opensAt: number) => {
    const pre = await readTopic(
      apps[0]!.get(KafkaClient),
      preQueueTopic(env.KAFKA_TOPIC_PREFIX, line),
    );
    const entrants = pre.filter((r) => r.timestamp < opensAt).map((r) => ({ ...r, uuid: r.key! }));
    return drawOrder(seed, entrants).map((e) => e.uuid);
  };

  it('commits, takes a pre-queue, draws at the opening by itself, and admits in the drawn order', async () => {
    const opensAt = Date.now() + 5000;
    const scheduled = await schedule(LINE, opensAt);
    expect(scheduled.status).toBe(200);
    await scheduledEverywhere(LINE);
    const before = (await http(1).get(`/api/lines/${LINE}/draw`)).body;
    // The public line state (the lines list, the page) says so too.
    const lineState = async () => (await http(1).get(`/api/lines/${LINE}`)).body;
    await waitFor(async () => (await lineState()).state === 'scheduled', 10_000, 'the line state');
    expect(await lineState()).toMatchObject({ state: 'scheduled', opensAt });
    expect(before).toMatchObject({ status: 'scheduled', opensAt, seed: null });
    expect(before.commitment).toMatch(/^[0-9a-f]{64}$/);

    // A crowd arrives before the opening, on both gateways; one person twice.
    const crowd = await Promise.all(
      Array.from({ length: 30 }, (_, i) => join(LINE, `pre-${i}`, i % 2)),
    );
    for (const res of crowd) {
      expect({ status: res.status, body: res.body }).toMatchObject({
        status: 307,
        body: { drawAt: opensAt },
      });
    }
    const again = await join(LINE, 'pre-0', 1);
    expect(again.body.uuid).toBe(crowd[0]!.body.uuid);
    const status = await http()
      .get(`/api/queue/tickets/${crowd[3]!.body.uuid}`)
      .set('X-Queue-Ticket', crowd[3]!.body.ticket);
    expect(status.body).toMatchObject({ status: 'scheduled', drawAt: opensAt });

    // Holders keep polling (their heartbeat); nobody triggers the draw but the clock.
    let polling = true;
    const pollers = (async () => {
      while (polling) {
        await Promise.all(
          crowd.map((c) =>
            http().get(`/api/queue/tickets/${c.body.uuid}`).set('X-Queue-Ticket', c.body.ticket),
          ),
        );
        await new Promise((r) => setTimeout(r, 500));
      }
    })();
    const after = await waitFor(
      async () => {
        const body = (await http(1).get(`/api/lines/${LINE}/draw`)).body;
        return body.status === 'done' ? body : false;
      },
      20_000,
      'the draw at opensAt',
      200,
    );
    expect(after.drawnAt).toBeGreaterThanOrEqual(opensAt);
    await waitFor(
      async () => (await lineState()).state === 'paused', // drawn; the admin's rate is still 0
      10_000,
      'the line state after the draw',
    );
    expect(after.entrants).toBe(30);
    expect(createHash('sha256').update(Buffer.from(after.seed, 'hex')).digest('hex')).toBe(
      before.commitment,
    );

    // The published seed reproduces the order the line topic shows.
    const order = await recomputed(LINE, after.seed, opensAt);
    const drawn = await drawnRecords(LINE);
    expect(drawn.map((r) => r.key)).toEqual(order);
    expect(new Set(order)).toEqual(new Set(crowd.map((c) => c.body.uuid)));

    // Later arrivals queue behind the draw; a pre-queue ticket now shows its real place.
    const late = await join(LINE, 'late-1');
    expect(late.status).toBe(307);
    expect(late.body.drawAt ?? null).toBeNull();
    const placed = await http()
      .get(`/api/queue/tickets/${order[0]}`)
      .set('X-Queue-Ticket', crowd.find((c) => c.body.uuid === order[0])!.body.ticket);
    expect(placed.body).toMatchObject({
      status: 'waiting',
      partition: drawn[0]!.partition,
      offset: drawn[0]!.offset,
    });

    // The admitter admits the drawn order, then the later arrival.
    admitter = await startAdmitter(env);
    await http()
      .put(`/api/admin/lines/${LINE}`)
      .set('Authorization', `Bearer ${env.ADMIN_TOKEN}`)
      .send({ ratePerSec: 200, burst: 50 });
    const redis = apps[0]!.get<Redis>(REDIS);
    const admitted = await waitFor(
      async () => {
        const log = await redis.xrange(RedisKeys.lineAdmissions(LINE), '-', '+');
        return log.length >= 31 ? log.map(([, f]) => f[1]) : false;
      },
      30_000,
      'everyone admitted',
      100,
    );
    polling = false;
    await pollers;
    expect(admitted).toEqual([...order, late.body.uuid]);

    // The fairness audit (npm run audit, the admin API) replays it: nobody out of turn.
    const audit = await http()
      .get(`/api/admin/lines/${LINE}/audit`)
      .set('Authorization', `Bearer ${env.ADMIN_TOKEN}`);
    expect(audit.status).toBe(200);
    expect(audit.body).toMatchObject({
      written: 31,
      admitted: 31,
      outOfOrder: 0,
      admittedTwice: 0,
      undecided: 0,
    });
    // ...and it can fail: an admission of the first drawn ticket again, after the last.
    await redis.xadd(RedisKeys.lineAdmissions(LINE), '*', 'uuid', order[0]!, 'at', Date.now());
    const broken = await auditLine(apps[0]!.get(KafkaClient), redis, env.KAFKA_TOPIC_PREFIX, LINE);
    expect(broken).toMatchObject({ outOfOrder: 1, admittedTwice: 1 });
  });

  it('resumes a draw whose drawer died mid-way: nobody lost, nobody doubled', async () => {
    const draws = apps[0]!.get(DrawService);
    // Only this test's calls draw: the gateways' own timers are stopped.
    for (const app of apps) app.get(DrawService).onApplicationShutdown();
    const opensAt = Date.now() + 3000;
    expect((await schedule(CRASH, opensAt)).status).toBe(200);
    await scheduledEverywhere(CRASH);
    const crowd = await Promise.all(
      Array.from({ length: 40 }, (_, i) => join(CRASH, `crash-${i}`, i % 2)),
    );
    expect(crowd.every((c) => c.status === 307 && c.body.drawAt === opensAt)).toBe(true);
    await waitFor(() => Date.now() > opensAt + 200, 5000, 'the opening');

    await expect(draws.draw(CRASH, { stopAfter: 15 })).rejects.toThrow(/stopped after/);
    // It died with 15 of 40 in the line topic and nothing recorded in Redis.
    expect((await drawnRecords(CRASH)).length).toBe(15);
    expect((await http().get(`/api/lines/${CRASH}/draw`)).body.status).toBe('scheduled');

    expect(await draws.draw(CRASH)).toBe(true);
    const info = (await http().get(`/api/lines/${CRASH}/draw`)).body;
    expect(info.status).toBe('done');
    const drawn = await drawnRecords(CRASH);
    expect(drawn.map((r) => Number(r.headers[DRAW_HEADER]))).toEqual(drawn.map((_, i) => i));
    expect(drawn.map((r) => r.key)).toEqual(await recomputed(CRASH, info.seed, opensAt));
    expect(new Set(drawn.map((r) => r.key)).size).toBe(40);
    // The operator's re-run agrees (npm run audit:draw -- CODE).
    const saved = { ...process.env };
    Object.assign(process.env, {
      KAFKA_TOPIC_PREFIX: env.KAFKA_TOPIC_PREFIX,
      REDIS_KEY_PREFIX: env.REDIS_KEY_PREFIX,
    });
    try {
      expect(await auditDraw(CRASH)).toBe(0);
      expect(await auditDraw(LINE)).toBe(0);
    } finally {
      process.env = saved;
    }
    const placed = await apps[1]!.get(REDIS).hlen(RedisKeys.linePlaced(CRASH));
    expect(placed).toBe(40);
  });
});

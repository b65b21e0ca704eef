// A line's life after it opens (real Kafka, Redis and admitter, two gateways):
// at closesAt it closes to new places by itself (410 LINE_CLOSED) while those
// in line keep theirs; a drain ends it: a pass admitted before still issues,
// every ticket still waiting is told 410 LINE_ENDED (poll, status, stream), and
// the admitter admits nobody more, while a line beside it goes on.
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import type Redis from 'ioredis';
import request from 'supertest';
import { Env } from '@app/config';
import { RedisKeys } from '@app/queue';
import { REDIS } from '@app/redis';
import { AdmitterHandle, startAdmitter } from '../support/admitter-harness';
import { GatewayCluster, joinLine, startGatewayCluster, waitFor } from '../support/gateway-harness';
import { SseClient } from '../support/sse-client';

jest.setTimeout(90_000);

const LINE = 'A0001';
const CONTROL = 'B0001';

describe('line lifecycle: closed and ended', () => {
  let cluster: GatewayCluster;
  let env: Env;
  let apps: NestFastifyApplication[];
  let admitter: AdmitterHandle | undefined;
  const http = (i = 0) => request(apps[i]!.getHttpServer());
  const admin = (method: 'put' | 'post' | 'get', path: string, gateway = 0) =>
    http(gateway)
      [method](`/api/admin/lines/${path}`)
      .set('Authorization', `Bearer ${env.ADMIN_TOKEN}`);

  beforeAll(async () => {
    cluster = await startGatewayCluster(
      [
        { code: LINE, quantity: 100 },
        { code: CONTROL, quantity: 100 },
      ],
      { ABANDON_AFTER_SECONDS: '3600' },
      2,
    );
    ({ env, apps } = cluster);
  });
  afterAll(async () => {
    await admitter?.close();
    await cluster.close();
  });

  const join = (line: string, userId: string, gateway = 0) =>
    joinLine(apps[gateway]!, line, { userId });
  const poll = (line: string, userId: string, ticket: string, gateway = 0) =>
    http(gateway).post(`/api/coupons/${line}/issue`).set('X-Queue-Ticket', ticket).send({ userId });
  const lineState = async (line: string, gateway = 0) =>
    (await http(gateway).get(`/api/lines/${line}`)).body as { state: string; closesAt: number };

  it('closes to new places at closesAt by itself, on every gateway; those in line keep theirs', async () => {
    // Paused, so that people stay in line.
    expect((await admin('put', LINE).send({ ratePerSec: 0 })).status).toBe(200);
    const alice = await join(LINE, 'alice');
    expect(alice.status).toBe(307);

    // closesAt must follow opensAt; a date that is not one is a 400 naming the field.
    const bad = await admin('put', LINE).send({ closesAt: '2026-02-30T10:00:00Z' });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('closesAt');

    const closesAt = Date.now() + 1500;
    const set = await admin('put', LINE).send({ closesAt: new Date(closesAt).toISOString() });
    expect(set.status).toBe(200);
    expect(set.body.closesAt).toBe(closesAt);
    expect(set.body.state).toBe('paused');
    // Before the time: still taking places, on the other gateway too.
    const bob = await join(LINE, 'bob', 1);
    expect(bob.status).toBe(307);

    // Nobody asks: the public state turns `closed` at the time on both gateways.
    await waitFor(
      async () =>
        (await lineState(LINE, 0)).state === 'closed' &&
        (await lineState(LINE, 1)).state === 'closed',
      10_000,
      'the line to close by itself',
      100,
    );
    expect(Date.now()).toBeGreaterThanOrEqual(closesAt);
    for (const gateway of [0, 1]) {
      const late = await http(gateway)
        .post(`/api/coupons/${LINE}/issue`)
        .send({ userId: `carol${gateway}` });
      expect(late.status).toBe(410);
      expect(late.body.error).toBe('LINE_CLOSED');
      expect(late.body.message).toContain(new Date(closesAt).toISOString());
    }
    // A repeated first request of someone in line: the same place, not a refusal.
    const again = await http(1).post(`/api/coupons/${LINE}/issue`).send({ userId: 'alice' });
    expect(again.status).toBe(307);
    expect(again.body.uuid).toBe(alice.body.uuid);
    // A ticket holder still polls normally.
    const polled = await poll(LINE, 'bob', bob.headers['x-queue-ticket']!);
    expect(polled.status).toBe(307);
  });

  it('a drain ends the line: an earlier pass still issues, waiters are told LINE_ENDED, nobody more is admitted', async () => {
    admitter = await startAdmitter(env);
    // One pass at a time on both lines: the first in line is admitted, the rest wait.
    for (const line of [LINE, CONTROL]) {
      expect(
        (await admin('put', line).send({ ratePerSec: 100, burst: 10, maxActive: 1 })).status,
      ).toBe(200);
    }
    const dave = await join(CONTROL, 'dave');
    const erin = await join(CONTROL, 'erin');
    const waitAdmitted = (line: string, user: string, ticket: string) =>
      waitFor(
        async () =>
          (
            await http()
              .get(`/api/queue/tickets/${ticketUuid(ticket)}`)
              .set('X-Queue-Ticket', ticket)
          ).body.status === 'admitted',
        20_000,
        `${user} admitted on ${line}`,
        100,
      );
    const alice = (await join(LINE, 'alice')).headers['x-queue-ticket']!;
    const bob = (await join(LINE, 'bob')).headers['x-queue-ticket']!;
    await waitAdmitted(LINE, 'alice', alice);
    await waitAdmitted(CONTROL, 'dave', dave.headers['x-queue-ticket']!);

    // Bob follows his ticket's stream on the other gateway when the line is drained.
    await apps[1]!.listen(0, '127.0.0.1');
    const { port } = apps[1]!.getHttpServer().address() as { port: number };
    const stream = await SseClient.open(
      `http://127.0.0.1:${port}/api/queue/tickets/${ticketUuid(bob)}/events`,
      { 'x-queue-ticket': bob },
    );
    expect(stream.status).toBe(200);
    const drained = await admin('post', `${LINE}/drain`, 1);
    expect(drained.status).toBe(200);
    expect(drained.body.state).toBe('ended');
    expect(drained.body.endedAt).toEqual(expect.any(Number));
    // Idempotent: a second drain keeps the first one's time.
    const twice = await admin('post', `${LINE}/drain`);
    expect(twice.body.endedAt).toBe(drained.body.endedAt);

    await stream.waitForEvent<{ status: string }>('outcome', (o) => o.status === 'ended');
    stream.close();

    // Alice was admitted before the drain: her pass still issues.
    const issued = await poll(LINE, 'alice', alice);
    expect(issued.status).toBe(201);
    // Bob was still waiting: a final answer everywhere.
    for (const gateway of [0, 1]) {
      const ended = await poll(LINE, 'bob', bob, gateway);
      expect(ended.status).toBe(410);
      expect(ended.body.error).toBe('LINE_ENDED');
      const status = await http(gateway)
        .get(`/api/queue/tickets/${ticketUuid(bob)}`)
        .set('X-Queue-Ticket', bob);
      expect(status.body.status).toBe('ended');
    }
    // No new places, and the settings cannot change any more.
    const late = await http().post(`/api/coupons/${LINE}/issue`).send({ userId: 'frank' });
    expect(late.status).toBe(410);
    expect(late.body.error).toBe('LINE_ENDED');
    expect((await admin('put', LINE).send({ ratePerSec: 5 })).status).toBe(409);
    expect((await admin('post', `${LINE}/close`)).status).toBe(409);

    // Alice's pass is spent, so the cap would let Bob in; on the control line the
    // same step admits Erin. When Erin is in, the admitter has had its turn at
    // the ended line too, and Bob must still be out.
    expect((await poll(CONTROL, 'dave', dave.headers['x-queue-ticket']!)).status).toBe(201);
    await waitAdmitted(CONTROL, 'erin', erin.headers['x-queue-ticket']!);
    const redis = apps[0]!.get<Redis>(REDIS);
    expect(await redis.hget(RedisKeys.ticket(ticketUuid(bob)), 'admittedAt')).toBeNull();
    expect(await redis.xlen(RedisKeys.lineAdmissions(LINE))).toBe(1);
    // The admin list shows both lines with their state.
    const list = await http()
      .get('/api/admin/lines')
      .set('Authorization', `Bearer ${env.ADMIN_TOKEN}`);
    expect(list.status).toBe(200);
    const states = Object.fromEntries(
      (list.body as Array<{ line: string; state: string }>).map((l) => [l.line, l.state]),
    );
    expect(states).toMatchObject({ [LINE]: 'ended', [CONTROL]: expect.stringMatching(/open/) });
  });
});

/** The uuid a signed ticket carries (its payload; the gateway checks the signature). */
function ticketUuid(ticket: string): string {
  return (
    JSON.parse(Buffer.from(ticket.split('.')[1]!, 'base64url').toString()) as { uuid: string }
  ).uuid;
}

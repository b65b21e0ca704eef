// Proof of work on joining (ALTCHA), real Redis and Kafka, two gateways: a line
// that asks for it refuses a first request without a solution, or with a forged,
// expired, replayed or other line's one; a solved challenge takes a place. A
// line that does not ask needs nothing.
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createChallenge, solveChallenge, type Challenge } from 'altcha-lib';
import { deriveKey } from 'altcha-lib/algorithms/pbkdf2';
import { createHmac } from 'node:crypto';
import request from 'supertest';
import { Env } from '@app/config';
import { GatewayCluster, startGatewayCluster, waitFor } from '../support/gateway-harness';

jest.setTimeout(60_000);

const LINE = 'A0001';
const OTHER = 'B0001';
const FREE = 'C0001';
const DIFFICULTY = 200;

describe('proof of work on joining a line', () => {
  let cluster: GatewayCluster;
  let env: Env;
  let apps: NestFastifyApplication[];
  const http = (i = 0) => request(apps[i]!.getHttpServer());

  beforeAll(async () => {
    cluster = await startGatewayCluster(
      [
        { code: LINE, quantity: 100 },
        { code: OTHER, quantity: 100 },
        { code: FREE, quantity: 100 },
      ],
      {},
      2,
    );
    ({ env, apps } = cluster);
    for (const line of [LINE, OTHER]) {
      const res = await http()
        .put(`/api/admin/lines/${line}`)
        .set('Authorization', `Bearer ${env.ADMIN_TOKEN}`)
        .send({ powDifficulty: DIFFICULTY });
      expect(res.status).toBe(200);
      expect(res.body.powDifficulty).toBe(DIFFICULTY);
    }
    // The other gateway follows within its settings refresh; the public state says so.
    await waitFor(
      async () => (await http(1).get(`/api/lines/${LINE}`)).body.powDifficulty === DIFFICULTY,
      10_000,
      'the second gateway to ask for the proof of work',
      100,
    );
  });
  afterAll(() => cluster.close());

  const challenge = async (line: string, gateway = 0): Promise<Challenge> => {
    const res = await http(gateway).get(`/api/lines/${line}/challenge`);
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    return res.body as Challenge;
  };
  const solved = async (c: Challenge): Promise<string> => {
    const solution = await solveChallenge({ challenge: c, deriveKey });
    expect(solution).not.toBeNull();
    return Buffer.from(JSON.stringify({ challenge: c, solution })).toString('base64');
  };
  const join = (line: string, userId: string, altcha?: string, gateway = 0) =>
    http(gateway)
      .post(`/api/coupons/${line}/issue`)
      .send(altcha === undefined ? { userId } : { userId, altcha });
  /** Retried on 503 as a client does (a line's topic made at its first arrival). */
  const joinOk = (line: string, userId: string, payload: () => Promise<string | undefined>) =>
    waitFor(
      async () => {
        const res = await join(line, userId, await payload());
        return res.status === 503 ? false : res;
      },
      20_000,
      `a place for ${userId}`,
      300,
    );

  it('takes a place with a solved challenge, and refuses a first request without one', async () => {
    const missing = await join(LINE, 'alice');
    expect(missing.status).toBe(403);
    expect(missing.body.error).toBe('PROOF_OF_WORK_REQUIRED');
    expect(missing.body.message).toContain(`/api/lines/${LINE}/challenge`);

    const c = await challenge(LINE);
    expect(c.parameters.algorithm).toBe('PBKDF2/SHA-256');
    expect(c.parameters.data).toEqual({ line: LINE });
    const ok = await joinOk(LINE, 'alice', () => challenge(LINE).then(solved));
    expect(ok.status).toBe(307);
    expect(ok.body.uuid).toEqual(expect.any(String));
  });

  it('refuses a replayed solution, on any gateway', async () => {
    const payload = await solved(await challenge(LINE, 1));
    expect((await join(LINE, 'bob', payload, 1)).status).toBe(307);
    for (const gateway of [0, 1]) {
      const again = await join(LINE, `bob-again-${gateway}`, payload, gateway);
      expect(again.status).toBe(403);
      expect(again.body.error).toBe('PROOF_OF_WORK_INVALID');
      expect(again.body.message).toContain('used already');
    }
  });

  it('refuses forged, wrong, expired and other-line solutions', async () => {
    const c = await challenge(LINE);
    const solution = (await solveChallenge({ challenge: c, deriveKey }))!;
    const encode = (body: unknown) => Buffer.from(JSON.stringify(body)).toString('base64');
    const refused = async (altcha: string, why: string) => {
      const res = await join(LINE, 'mallory', altcha);
      expect(res.status).toBe(403);
      expect(res.body.error).toBe('PROOF_OF_WORK_INVALID');
      expect(res.body.message).toContain(why);
    };
    // A made-up key (the derived key is the proof; the counter only says how it was found).
    await refused(
      encode({ challenge: c, solution: { ...solution, derivedKey: '00'.repeat(32) } }),
      'wrong',
    );
    // An easier challenge made up by the client (its signature no longer matches).
    await refused(
      encode({ challenge: { ...c, parameters: { ...c.parameters, cost: 1 } }, solution }),
      'forged',
    );
    // A challenge signed with some other key, solved honestly.
    const foreign = await createChallenge({
      algorithm: 'PBKDF2/SHA-256',
      cost: 1000,
      counter: 3,
      deriveKey,
      data: { line: LINE },
      hmacSignatureSecret: 'not the gateway key at all, 32 chars',
    });
    await refused(await solved(foreign), 'forged');
    // Garbage.
    await refused('bm90IGpzb24=', 'not a base64 JSON payload');
    // The gateway's own kind of challenge, expired (signed as the gateway signs).
    const key = (purpose: string) =>
      createHmac('sha256', env.TICKET_SECRET).update(`altcha:${purpose}`).digest('hex');
    const old = await createChallenge({
      algorithm: 'PBKDF2/SHA-256',
      cost: 1000,
      counter: 3,
      deriveKey,
      data: { line: LINE },
      expiresAt: new Date(Date.now() - 1000),
      hmacSignatureSecret: key('challenge'),
      hmacKeySignatureSecret: key('key'),
    });
    await refused(await solved(old), 'expired');
    // Another line's challenge.
    await refused(await solved(await challenge(OTHER)), 'another line');
    // The genuine solution still works (nothing above spent it).
    expect((await join(LINE, 'mallory', encode({ challenge: c, solution }))).status).toBe(307);
  });

  it('a line that asks for none needs none', async () => {
    const res = await http().get(`/api/lines/${FREE}/challenge`);
    expect(res.status).toBe(404);
    expect(res.body.error).toBe('NO_PROOF_OF_WORK');
    const ok = await joinOk(FREE, 'carol', async () => undefined);
    expect(ok.status).toBe(307);
  });
});

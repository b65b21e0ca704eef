// IDENTITY_MODE=jwt: the user is the verified subject of the protected site's
// bearer token (shared key, or a JWKS served over HTTP), not what the body says.
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { createServer, Server } from 'node:http';
import request from 'supertest';
import { Env } from '@app/config';
import {
  dropGatewayState,
  FakeCouponService,
  gatewayEnv,
  joinLine,
  startFakeCouponService,
  startGateway,
  waitFor,
} from '../support/gateway-harness';

jest.setTimeout(60_000);

const LINE = 'A0001';
const ISSUER = 'https://shop.example';
const AUDIENCE = 'waiting-room';
const SECRET = 's'.repeat(40);

describe('gateway identity (IDENTITY_MODE=jwt)', () => {
  let coupons: FakeCouponService;
  let jwks: Server;
  let jwksUrl: string;
  let privateKey: CryptoKey;
  const apps: { app: NestFastifyApplication; env: Env }[] = [];

  const start = async (overrides: Record<string, string>) => {
    const env = gatewayEnv({
      COUPON_SERVICE_PORT: String(coupons.port),
      LINE_PARTITIONS: '1',
      IDENTITY_MODE: 'jwt',
      IDENTITY_ISSUER: ISSUER,
      IDENTITY_AUDIENCE: AUDIENCE,
      ...overrides,
    });
    const app = await startGateway(env);
    apps.push({ app, env });
    await waitFor(
      async () => (await request(app.getHttpServer()).get('/api/coupons')).status === 200,
      10_000,
      'catalogue',
    );
    return app;
  };
  const hs256 = (sub: string, claims: { iss?: string; aud?: string; exp?: number } = {}) =>
    new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(sub)
      .setIssuer(claims.iss ?? ISSUER)
      .setAudience(claims.aud ?? AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(claims.exp ?? '5m')
      .sign(new TextEncoder().encode(SECRET));
  const join = (app: NestFastifyApplication, userId: string, token?: string) =>
    joinLine(app, LINE, { userId }, token ? { Authorization: `Bearer ${token}` } : {});

  beforeAll(async () => {
    coupons = await startFakeCouponService([{ code: LINE, quantity: 100 }]);
    const pair = await generateKeyPair('ES256');
    privateKey = pair.privateKey as CryptoKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    jwks = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((r) => jwks.listen(0, '127.0.0.1', r));
    jwksUrl = `http://127.0.0.1:${(jwks.address() as { port: number }).port}/.well-known/jwks.json`;
  });
  afterAll(async () => {
    for (const { app, env } of apps) {
      await dropGatewayState(app, env);
      await app.close();
    }
    await coupons.close();
    await new Promise((r) => jwks.close(r));
  });

  it('queues only the verified user, and shows a wallet only to its owner (shared key)', async () => {
    const app = await start({ IDENTITY_SECRET: SECRET });
    const none = await join(app, 'alice');
    expect(none.status).toBe(401);
    expect(none.body.error).toBe('IDENTITY_REQUIRED');
    const wrongIssuer = await join(
      app,
      'alice',
      await hs256('alice', { iss: 'https://evil.example' }),
    );
    expect(wrongIssuer.status).toBe(401);
    expect(wrongIssuer.body).toMatchObject({ error: 'IDENTITY_INVALID' });
    const wrongAudience = await join(app, 'alice', await hs256('alice', { aud: 'another-app' }));
    expect(wrongAudience.status).toBe(401);
    const expired = await join(
      app,
      'alice',
      await hs256('alice', { exp: Math.floor(Date.now() / 1000) - 60 }),
    );
    expect(expired.status).toBe(401);
    expect(expired.body.message).toMatch(/expired/);
    const forged = (await hs256('alice')).replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'));
    expect((await join(app, 'alice', forged)).status).toBe(401);

    const alice = await hs256('alice');
    const asBob = await join(app, 'bob', alice);
    expect(asBob.status).toBe(403);
    expect(asBob.body.error).toBe('IDENTITY_MISMATCH');
    const queued = await join(app, 'alice', alice);
    expect(queued.status).toBe(307);

    const wallet = (user: string, token?: string) => {
      const req = request(app.getHttpServer()).get(`/api/users/${user}/coupons`);
      if (token) req.set('Authorization', `Bearer ${token}`);
      return req;
    };
    expect((await wallet('alice', alice)).status).toBe(200);
    expect((await wallet('bob', alice)).status).toBe(403);
    expect((await wallet('alice')).status).toBe(401);
  });

  it("verifies tokens against the site's JWKS", async () => {
    const app = await start({ IDENTITY_JWKS_URL: jwksUrl });
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setSubject('carol')
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setExpirationTime('5m')
      .sign(privateKey);
    expect((await join(app, 'carol', token)).status).toBe(307);
    // an HS256 token made with some secret is not accepted where the keys come from a JWKS
    expect((await join(app, 'alice', await hs256('alice'))).status).toBe(401);
  });
});

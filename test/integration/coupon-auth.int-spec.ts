import { ClientProxyFactory, ClientTCP, Transport } from '@nestjs/microservices';
import { firstValueFrom, timeout } from 'rxjs';
import { UnavailableError } from '@app/common/errors';
import { loadEnv } from '@app/config';
import { CouponClient, CouponView, IssueCouponResult, WalletEntry } from '@app/contracts';
import { CouponInstance, CouponTestWorld } from '../support/coupon-harness';

jest.setTimeout(60_000);

const WRONG = 'wrong-coupon-service-token-0123';

/**
 * The coupon service trusts no one for being able to connect: every message
 * pattern needs COUPON_SERVICE_TOKEN in its `auth` field (CouponClient adds it).
 * A real coupon-service process, talked to over TCP.
 */
describe('coupon-service: every message needs COUPON_SERVICE_TOKEN', () => {
  const world = new CouponTestWorld();
  let service: CouponInstance;
  const clients: ClientTCP[] = [];

  /** A fresh connection (the service logs a refusal once per connection). */
  const connect = () => {
    const client = new ClientTCP({ host: '127.0.0.1', port: service.tcpPort });
    clients.push(client);
    return client;
  };
  const send = <T>(client: ClientTCP, pattern: string, data: unknown): Promise<T> =>
    firstValueFrom(client.send<T>(pattern, data).pipe(timeout(10_000)));
  const refusal = (promise: Promise<unknown>) =>
    promise.then(
      (answer) => ({ answered: answer }),
      (error: unknown) => ({ message: String((error as { message?: unknown })?.message ?? error) }),
    );

  beforeAll(async () => {
    await world.setUp(2);
    service = await new CouponInstance(world).start();
  });

  afterAll(async () => {
    for (const client of clients) client.close();
    await service?.stop();
    await world.tearDown();
  });

  it('answers coupon.list to a client that sends the right token', async () => {
    const views = await send<CouponView[]>(connect(), 'coupon.list', { auth: service.token });
    expect(views.map((v) => v.code)).toContain('A0001');
    // the harness helper sends it the same way
    expect(await service.send<CouponView[]>('coupon.list', {})).toEqual(views);
  });

  it('refuses coupon.list without a token and with a wrong one, as unauthorized', async () => {
    const none = await refusal(send(connect(), 'coupon.list', {}));
    expect(none).toEqual({ message: expect.stringMatching(/unauthorized/) });
    const wrong = await refusal(send(connect(), 'coupon.list', { auth: WRONG }));
    expect(wrong).toEqual({ message: expect.stringMatching(/unauthorized/) });
    const empty = await refusal(send(connect(), 'coupon.list', { auth: '' }));
    expect(empty).toEqual({ message: expect.stringMatching(/unauthorized/) });
    const notAnObject = await refusal(send(connect(), 'coupon.list', 'list'));
    expect(notAnObject).toEqual({ message: expect.stringMatching(/unauthorized/) });
  });

  it('refuses every pattern without the token: wallet and health too', async () => {
    const client = connect();
    for (const [pattern, data] of [
      ['coupon.wallet', { userId: 'alice' }],
      ['coupon.health', {}],
      ['coupon.wallet', { userId: 'alice', auth: WRONG }],
      ['coupon.health', { auth: WRONG }],
    ] as const) {
      expect(await refusal(send(client, pattern, data))).toEqual({
        message: expect.stringMatching(/unauthorized/),
      });
    }
    expect(await service.send<WalletEntry[]>('coupon.wallet', { userId: 'alice' })).toEqual([]);
    expect(await service.send('coupon.health', {})).toEqual({ postgres: 'up', redis: 'up' });
  });

  it('issues nothing for coupon.issue without the token (no row in PostgreSQL)', async () => {
    const client = connect();
    const none = await refusal(send(client, 'coupon.issue', { code: 'A0001', userId: 'mallory' }));
    expect(none).toEqual({ message: expect.stringMatching(/unauthorized/) });
    const wrong = await refusal(
      send(client, 'coupon.issue', { code: 'A0001', userId: 'mallory', auth: WRONG }),
    );
    expect(wrong).toEqual({ message: expect.stringMatching(/unauthorized/) });
    const rows: { n: number }[] = await world.db.query(
      `SELECT count(*)::int AS n FROM coupon_wallet WHERE user_id = $1`,
      ['mallory'],
    );
    expect(rows[0]!.n).toBe(0);
    expect(await world.redisHolders('A0001')).not.toHaveProperty('mallory');

    // the same command with the token goes through: the refusal was the token's doing
    const issued = await send<IssueCouponResult>(client, 'coupon.issue', {
      code: 'A0001',
      userId: 'trent',
      auth: service.token,
    });
    expect(issued).toMatchObject({ outcome: 'issued', couponCode: 'A0001', userId: 'trent' });
    expect(await world.pgHolders('A0001')).toEqual(['trent']);
  });

  it('logs refusals without the token, at most once per connection', async () => {
    const before = service.output.length;
    const client = connect();
    for (let i = 0; i < 5; i++) await refusal(send(client, 'coupon.list', { auth: WRONG }));
    const logged = service.output.slice(before);
    expect(logged.match(/unauthorized coupon\.list/g)).toHaveLength(1);
    expect(service.output).not.toContain(WRONG);
    expect(service.output).not.toContain(service.token);
  });

  it("is a 503 at the gateway's CouponClient when the gateway has another token", async () => {
    const env = loadEnv({
      ...process.env,
      COUPON_SERVICE_PORT: String(service.tcpPort),
      COUPON_SERVICE_TOKEN: WRONG,
    });
    const proxy = ClientProxyFactory.create({
      transport: Transport.TCP,
      options: { host: '127.0.0.1', port: service.tcpPort },
    });
    const client = new CouponClient(proxy, env);
    try {
      const error = await client.list().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UnavailableError);
      expect((error as UnavailableError).status).toBe(503);
      expect((error as Error).message).toMatch(/unauthorized/);
      expect((error as Error).message).not.toContain(WRONG);
    } finally {
      await client.onApplicationShutdown();
    }
  });
});

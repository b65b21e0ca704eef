import { ClientProxy } from '@nestjs/microservices';
import { NEVER, Observable, of, throwError } from 'rxjs';
import { UnavailableError } from '@app/common/errors';
import { Env } from '@app/config';
import { CouponClient, withCouponAuth } from './coupon-client';
import { CouponPatterns } from './coupon.contracts';

const clientWith = (send: (pattern: string, data: unknown) => Observable<unknown>) => {
  const proxy = { send: jest.fn(send), close: jest.fn() } as unknown as ClientProxy;
  const env = Object.assign(new Env(), {
    COUPON_SERVICE_TIMEOUT_MS: 50,
    COUPON_SERVICE_TOKEN: 'coupon-token-0123456789',
  });
  return { client: new CouponClient(proxy, env), proxy };
};

describe('CouponClient', () => {
  it('sends each call on its pattern and returns the answer', async () => {
    const { client, proxy } = clientWith((pattern) => of({ pattern }));
    await expect(client.issue({ code: 'A0001', userId: 'alice' })).resolves.toEqual({
      pattern: CouponPatterns.issue,
    });
    await expect(client.wallet('alice')).resolves.toEqual({ pattern: CouponPatterns.wallet });
    await expect(client.list()).resolves.toEqual({ pattern: CouponPatterns.list });
    await expect(client.health()).resolves.toEqual({ pattern: CouponPatterns.health });
    expect(proxy.send).toHaveBeenCalledWith(CouponPatterns.wallet, {
      userId: 'alice',
      auth: 'coupon-token-0123456789',
    });
  });

  it('adds COUPON_SERVICE_TOKEN as `auth` to every message, next to the contract fields', async () => {
    const { client, proxy } = clientWith(() => of([]));
    await client.issue({ code: 'A0001', userId: 'alice', ticketId: 't-1' });
    await client.list();
    await client.wallet('bob');
    await client.health();
    const sent = (proxy.send as jest.Mock).mock.calls;
    expect(sent).toEqual([
      [
        CouponPatterns.issue,
        { code: 'A0001', userId: 'alice', ticketId: 't-1', auth: 'coupon-token-0123456789' },
      ],
      [CouponPatterns.list, { auth: 'coupon-token-0123456789' }],
      [CouponPatterns.wallet, { userId: 'bob', auth: 'coupon-token-0123456789' }],
      [CouponPatterns.health, { auth: 'coupon-token-0123456789' }],
    ]);
  });

  it("withCouponAuth leaves the caller's object alone", () => {
    const cmd = { code: 'A0001', userId: 'alice' };
    expect(withCouponAuth(cmd, 'secret-secret-secret')).toEqual({
      ...cmd,
      auth: 'secret-secret-secret',
    });
    expect(cmd).toEqual({ code: 'A0001', userId: 'alice' });
  });

  it('turns an "unauthorized" refusal (token mismatch) into a 503, like any other failure', async () => {
    const { client } = clientWith(() =>
      throwError(() => ({
        status: 'error',
        message: 'unauthorized',
      })),
    );
    const error = await client.list().catch((e) => e);
    expect(error).toBeInstanceOf(UnavailableError);
    expect(error.status).toBe(503);
    expect(error.message).toMatch(/unauthorized/);
    expect(error.message).not.toContain('coupon-token-0123456789');
  });

  it('turns no answer within COUPON_SERVICE_TIMEOUT_MS into a 503', async () => {
    const { client } = clientWith(() => NEVER);
    const error = await client.list().catch((e) => e);
    expect(error).toBeInstanceOf(UnavailableError);
    expect(error.status).toBe(503);
    expect(error.message).toMatch(/in time/);
  });

  it('turns a refused connection into a 503 with Retry-After', async () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:3001'), {
      code: 'ECONNREFUSED',
    });
    const { client } = clientWith(() => throwError(() => refused));
    const error = await client.issue({ code: 'A0001', userId: 'alice' }).catch((e) => e);
    expect(error).toBeInstanceOf(UnavailableError);
    expect(error.options.retryAfterSeconds).toBe(1);
    expect(error.message).toMatch(/ECONNREFUSED/);
  });

  it('turns an error raised inside the service (an RPC error object) into a 503', async () => {
    const { client } = clientWith(() =>
      throwError(() => ({ status: 'error', message: 'Internal server error' })),
    );
    await expect(client.wallet('alice')).rejects.toBeInstanceOf(UnavailableError);
  });
});

import { Logger } from '@nestjs/common';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import { RpcException, TcpContext, TcpSocket } from '@nestjs/microservices';
import { Env } from '@app/config';
import { CouponAuthGuard } from './coupon-auth.guard';

const TOKEN = 'coupon-token-0123456789';

const guardWith = (token = TOKEN) =>
  new CouponAuthGuard(Object.assign(new Env(), { COUPON_SERVICE_TOKEN: token }));

/** One TCP connection: the per-connection socket wrapper the TcpContext names. */
const connection = (port = 40000) =>
  ({ socket: { remoteAddress: '127.0.0.1', remotePort: port } }) as unknown as TcpSocket;

function contextFor(data: unknown, socket = connection(), pattern = 'coupon.list') {
  const host = new ExecutionContextHost(
    [data, new TcpContext([socket, pattern])],
    CouponAuthGuardSpec,
    function list() {},
  );
  host.setType('rpc');
  return host;
}
class CouponAuthGuardSpec {}

const refusal = (guard: CouponAuthGuard, data: unknown, socket?: TcpSocket) => {
  try {
    guard.canActivate(contextFor(data, socket));
  } catch (error) {
    return error;
  }
  return undefined;
};

describe('CouponAuthGuard', () => {
  let warn: jest.SpyInstance;
  beforeEach(() => {
    warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });
  afterEach(() => warn.mockRestore());

  it('lets the right token through and removes it before the handler sees the payload', () => {
    const data = { code: 'A0001', userId: 'alice', auth: TOKEN };
    expect(guardWith().canActivate(contextFor(data))).toBe(true);
    expect(data).toEqual({ code: 'A0001', userId: 'alice' });
    const empty = { auth: TOKEN };
    expect(guardWith().canActivate(contextFor(empty))).toBe(true);
    expect(empty).toEqual({});
  });

  it.each([
    ['no auth field', { code: 'A0001', userId: 'alice' }],
    ['an empty token', { auth: '' }],
    ['a wrong token', { auth: 'not-the-token-at-all' }],
    ['a token that is a prefix of the right one', { auth: TOKEN.slice(0, -1) }],
    ['a non-string token', { auth: 42 }],
    ['no payload at all', undefined],
    ['a payload that is not an object', 'coupon'],
  ])('refuses %s with an RpcException saying "unauthorized"', (_name, data) => {
    const error = refusal(guardWith(), data);
    expect(error).toBeInstanceOf(RpcException);
    expect((error as RpcException).getError()).toMatch(/^unauthorized/);
  });

  it('logs a refusal once per connection, with the peer and the pattern, never the token', () => {
    const guard = guardWith();
    const socket = connection(40001);
    refusal(guard, { auth: 'wrong-token-wrong-token' }, socket);
    refusal(guard, { auth: 'wrong-token-wrong-token' }, socket);
    refusal(guard, {}, socket);
    expect(warn).toHaveBeenCalledTimes(1);
    const line = String(warn.mock.calls[0]![0]);
    expect(line).toMatch(/unauthorized coupon\.list from 127\.0\.0\.1:40001/);
    expect(line).not.toContain('wrong-token-wrong-token');
    expect(line).not.toContain(TOKEN);
    refusal(guard, {}, connection(40002));
    expect(warn).toHaveBeenCalledTimes(2);
  });

  it('logs at most 10 refusals a minute however many connections are refused', () => {
    const guard = guardWith();
    for (let i = 0; i < 50; i++) refusal(guard, {}, connection(41000 + i));
    expect(warn).toHaveBeenCalledTimes(10);
  });
});

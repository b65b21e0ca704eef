import { DomainError, UnavailableError } from '@app/common/errors';
import { IssueCouponResult } from './coupon.contracts';
import { issueResultToHttp } from './coupon-http';

const thrown = (result: IssueCouponResult): DomainError => {
  try {
    issueResultToHttp(result);
  } catch (e) {
    return e as DomainError;
  }
  throw new Error('expected a DomainError');
};

describe('issueResultToHttp', () => {
  it('maps issued to 201 with the wallet entry (and nothing else)', () => {
    expect(
      issueResultToHttp({
        outcome: 'issued',
        walletId: 'w-1',
        couponCode: 'A0001',
        userId: 'alice',
        issuedAt: '2026-01-01T00:00:00.000Z',
      }),
    ).toEqual({
      status: 201,
      body: {
        walletId: 'w-1',
        couponCode: 'A0001',
        userId: 'alice',
        issuedAt: '2026-01-01T00:00:00.000Z',
      },
    });
  });

  it.each<[IssueCouponResult, number, string]>([
    [{ outcome: 'already_issued', couponCode: 'A0001', userId: 'alice' }, 409, 'ALREADY_ISSUED'],
    [{ outcome: 'sold_out', couponCode: 'A0001' }, 410, 'SOLD_OUT'],
    [{ outcome: 'unknown_coupon', couponCode: 'Z9' }, 404, 'UNKNOWN_COUPON'],
    [{ outcome: 'invalid', message: 'userId must not be empty' }, 400, 'INVALID_USER_ID'],
  ])('maps %j to %i %s', (result, status, code) => {
    const error = thrown(result);
    expect(error).toBeInstanceOf(DomainError);
    expect(error.status).toBe(status);
    expect(error.code).toBe(code);
    expect(error.retriable).toBe(false);
  });

  it('keeps the reason of an invalid user id', () => {
    expect(thrown({ outcome: 'invalid', message: 'userId must not be empty' }).message).toBe(
      'userId must not be empty',
    );
  });

  it('maps busy to a retriable 503 carrying Retry-After', () => {
    const error = thrown({ outcome: 'busy', retryAfterSeconds: 2 });
    expect(error).toBeInstanceOf(UnavailableError);
    expect(error.status).toBe(503);
    expect(error.retriable).toBe(true);
    expect(error.options.retryAfterSeconds).toBe(2);
  });

  it('turns an answer outside the contract into a 503, not a crash', () => {
    expect(thrown({ outcome: 'bogus' } as unknown as IssueCouponResult).status).toBe(503);
  });
});

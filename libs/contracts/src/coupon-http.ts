import { DomainError, UnavailableError } from '@app/common/errors';
import { IssueCouponResult } from './coupon.contracts';

export interface IssuedCouponBody {
  walletId: string;
  couponCode: string;
  userId: string;
  issuedAt: string;
}

/**
 * Maps the coupon service's answer to the gateway's HTTP answer: `issued` is a
 * 201 with the wallet entry; every other outcome throws a {@link DomainError}
 * that the global exception filter renders (409, 410, 404, 400, 503 + Retry-After).
 */
export function issueResultToHttp(result: IssueCouponResult): {
  status: 201;
  body: IssuedCouponBody;
} {
  switch (result.outcome) {
    case 'issued':
      return {
        status: 201,
        body: {
          walletId: result.walletId,
          couponCode: result.couponCode,
          userId: result.userId,
          issuedAt: result.issuedAt,
        },
      };
    case 'already_issued':
      throw new DomainError(
        409,
        'ALREADY_ISSUED',
        `Coupon ${result.couponCode} was already issued to this user`,
      );
    case 'sold_out':
      throw new DomainError(410, 'SOLD_OUT', `Coupon ${result.couponCode} is sold out`);
    case 'unknown_coupon':
      throw new DomainError(404, 'UNKNOWN_COUPON', `There is no coupon ${result.couponCode}`);
    case 'invalid':
      throw new DomainError(400, 'INVALID_USER_ID', result.message);
    case 'busy':
      throw new UnavailableError(
        'The coupon service is busy; nothing was changed, retry',
        result.retryAfterSeconds,
      );
    default: {
      const unexpected: never = result;
      throw new UnavailableError(
        `Unexpected answer from the coupon service: ${JSON.stringify(unexpected)}`,
      );
    }
  }
}

/**
 * The contract between the queue gateway and the coupon service
 * (@nestjs/microservices, TCP transport). Both sides import only this file.
 */
export const COUPON_SERVICE = 'COUPON_SERVICE';

export const CouponPatterns = {
  issue: 'coupon.issue',
  list: 'coupon.list',
  wallet: 'coupon.wallet',
  health: 'coupon.health',
} as const;

export interface IssueCouponCommand {
  code: string;
  userId: string;
  /** The admitted ticket's uuid, for tracing. */
  ticketId?: string;
}

export type IssueCouponResult =
  | { outcome: 'issued'; walletId: string; couponCode: string; userId: string; issuedAt: string }
  | { outcome: 'already_issued'; couponCode: string; userId: string }
  | { outcome: 'sold_out'; couponCode: string }
  | { outcome: 'unknown_coupon'; couponCode: string }
  | { outcome: 'invalid'; message: string }
  /** The per-user lock could not be taken in time: nothing was changed, retry. */
  | { outcome: 'busy'; retryAfterSeconds: number };

export interface CouponView {
  code: string;
  name: string;
  discount: number;
  quantity: number;
  remaining: number;
}

export interface WalletEntry {
  couponCode: string;
  walletId: string;
  issuedAt: string;
  usedAt: string | null;
}

export interface CouponHealth {
  postgres: 'up' | 'down';
  redis: 'up' | 'down';
}

/** A user id is 1..64 characters with no control characters (checked at both edges). */
export const USER_ID_MAX_LENGTH = 64;
export const USER_ID_PATTERN = /^[^\p{Cc}\p{Cs}]{1,64}$/u;

/** Why `userId` is not acceptable, or null when it is. */
export function userIdProblem(userId: unknown): string | null {
  if (typeof userId !== 'string') return 'userId must be a string';
  if (userId.length === 0) return 'userId must not be empty';
  if ([...userId].length > USER_ID_MAX_LENGTH)
    return `userId must be at most ${USER_ID_MAX_LENGTH} characters`;
  if (!USER_ID_PATTERN.test(userId))
    return 'userId must not contain control characters or lone surrogates';
  return null;
}

/** Lock resource names (under the lock namespace): one per (coupon, user) issue, one per coupon rebuild. */
export const issueLockResource = (code: string, userId: string): string =>
  `issue:${code}:${userId}`;
export const rebuildLockResource = (code: string): string => `rebuild:${code}`;

import { Inject, Injectable } from '@nestjs/common';
import type Redis from 'ioredis';
import { withTimeout } from '@app/common/timeout';
import { CouponHealth, CouponView, WalletEntry } from '@app/contracts';
import { REDIS } from '@app/redis';
import { CouponStockStore } from './coupon-stock.store';
import { CouponRepository } from './coupon.repository';

/** The read side: coupons with remaining stock, a user's wallet, dependency health. */
@Injectable()
export class CouponQueries {
  constructor(
    private readonly repository: CouponRepository,
    private readonly stock: CouponStockStore,
    @Inject(REDIS) private readonly redis: Redis,
  ) {}

  /**
   * remaining = quantity - holders in Redis (issued and in-flight reservations,
   * so it never shows stock that is already promised); when Redis has no
   * complete view it falls back to PostgreSQL's issued count.
   */
  async list(): Promise<CouponView[]> {
    const coupons = await this.repository.coupons();
    let counts: Map<string, number> | undefined;
    const views: CouponView[] = [];
    for (const c of coupons) {
      let taken: number;
      if ((await this.stock.readyEpoch(c.code)) !== null) taken = await this.stock.held(c.code);
      else taken = (counts ??= await this.repository.issuedCounts()).get(c.code) ?? 0;
      views.push({
        code: c.code,
        name: c.name,
        discount: c.discount,
        quantity: c.quantity,
        remaining: Math.max(0, c.quantity - taken),
      });
    }
    return views;
  }

  wallet(userId: string): Promise<WalletEntry[]> {
    return this.repository.wallet(userId);
  }

  async health(): Promise<CouponHealth> {
    const [postgres, redis] = await Promise.all([
      withTimeout(this.repository.ping(), 1000, 'postgres').then(
        () => 'up' as const,
        () => 'down' as const,
      ),
      withTimeout(this.redis.ping(), 1000, 'redis').then(
        () => 'up' as const,
        () => 'down' as const,
      ),
    ]);
    return { postgres, redis };
  }
}

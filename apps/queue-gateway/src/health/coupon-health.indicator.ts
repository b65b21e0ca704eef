import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { CouponClient } from '@app/contracts';

/** The coupon service answers its health pattern over TCP and reports its own dependencies up. */
@Injectable()
export class CouponHealthIndicator {
  constructor(
    private readonly coupons: CouponClient,
    private readonly health: HealthIndicatorService,
  ) {}

  async isHealthy(key = 'couponService') {
    const indicator = this.health.check(key);
    try {
      const status = await this.coupons.health();
      return status.postgres === 'up' && status.redis === 'up'
        ? indicator.up({ ...status })
        : indicator.down({ ...status });
    } catch (e) {
      return indicator.down({ message: (e as Error).message });
    }
  }
}

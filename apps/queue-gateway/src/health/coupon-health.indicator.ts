import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { CouponClient } from '@app/contracts';
import { CatalogCache } from '../catalog/catalog-cache';

/**
 * The coupon service answers its health pattern over TCP and reports its own
 * dependencies up, and this gateway has its coupon catalogue: without it every
 * first request would answer 503, so the gateway is not ready yet.
 */
@Injectable()
export class CouponHealthIndicator {
  constructor(
    private readonly coupons: CouponClient,
    private readonly catalog: CatalogCache,
    private readonly health: HealthIndicatorService,
  ) {}

  async isHealthy(key = 'couponService') {
    const indicator = this.health.check(key);
    try {
      const status = await this.coupons.health();
      if (!this.catalog.ready) await this.catalog.refresh();
      return status.postgres === 'up' && status.redis === 'up'
        ? indicator.up({ ...status, catalogue: 'loaded' })
        : indicator.down({ ...status });
    } catch (e) {
      return indicator.down({ message: (e as Error).message });
    }
  }
}

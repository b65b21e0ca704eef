import { Module } from '@nestjs/common';
import { CouponClientModule } from '@app/contracts';
import { IdentityModule } from '../identity/identity.service';
import { CatalogCache } from './catalog-cache';
import { CatalogController } from './catalog.controller';

/**
 * The coupon catalogue: the gateway's read API (coupons and wallets) and the
 * in-memory catalogue cache first requests, line states and health read.
 */
@Module({
  imports: [CouponClientModule, IdentityModule],
  controllers: [CatalogController],
  providers: [CatalogCache],
  exports: [CouponClientModule, CatalogCache],
})
export class CatalogModule {}

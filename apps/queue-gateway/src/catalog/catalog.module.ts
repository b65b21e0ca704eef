import { Module } from '@nestjs/common';
import { CouponClientModule } from '@app/contracts';
import { IdentityModule } from '../identity/identity.service';
import { CatalogController } from './catalog.controller';

/** The gateway's read API (coupons and wallets); import it into GatewayModule. */
@Module({
  imports: [CouponClientModule, IdentityModule],
  controllers: [CatalogController],
  exports: [CouponClientModule],
})
export class CatalogModule {}

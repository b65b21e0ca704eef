import { Controller, UseGuards } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import {
  CouponHealth,
  CouponPatterns,
  CouponView,
  IssueCouponCommand,
  IssueCouponResult,
  userIdProblem,
  WalletEntry,
} from '@app/contracts';
import { CouponAuthGuard } from './coupon-auth.guard';
import { CouponQueries } from './coupon-queries.service';
import { IssueCouponUseCase } from './issue-coupon.usecase';

/**
 * The TCP message handlers (the contract in @app/contracts). Domain outcomes
 * are answers, not errors; an exception (PostgreSQL or Redis down) reaches the
 * client as an RPC error, which CouponClient turns into a 503.
 *
 * Every pattern is behind {@link CouponAuthGuard}: a message without the right
 * COUPON_SERVICE_TOKEN is refused ("unauthorized") before its handler runs, and
 * the handlers never see the token's `auth` field.
 */
@Controller()
@UseGuards(CouponAuthGuard)
export class CouponController {
  constructor(
    private readonly issueCoupon: IssueCouponUseCase,
    private readonly queries: CouponQueries,
  ) {}

  @MessagePattern(CouponPatterns.issue)
  issue(@Payload() cmd: IssueCouponCommand): Promise<IssueCouponResult> {
    return this.issueCoupon.execute(cmd ?? ({} as IssueCouponCommand));
  }

  @MessagePattern(CouponPatterns.list)
  list(): Promise<CouponView[]> {
    return this.queries.list();
  }

  @MessagePattern(CouponPatterns.wallet)
  async wallet(@Payload() query: { userId?: unknown }): Promise<WalletEntry[]> {
    // The gateway validates first; an invalid id here simply has no coupons.
    if (userIdProblem(query?.userId)) return [];
    return this.queries.wallet(query.userId as string);
  }

  @MessagePattern(CouponPatterns.health)
  health(): Promise<CouponHealth> {
    return this.queries.health();
  }
}

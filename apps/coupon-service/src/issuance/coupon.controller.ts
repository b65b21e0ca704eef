import { Controller } from '@nestjs/common';
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
import { CouponQueries } from './coupon-queries.service';
import { IssueCouponUseCase } from './issue-coupon.usecase';

/**
 * The TCP message handlers (the contract in @app/contracts). Domain outcomes
 * are answers, not errors; an exception (PostgreSQL or Redis down) reaches the
 * client as an RPC error, which CouponClient turns into a 503.
 */
@Controller()
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

import { Controller, Get, Param } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiOkResponse,
  ApiOperation,
  ApiResponse,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import { CouponClient, CouponView, WalletEntry } from '@app/contracts';
import { URI_TOO_LONG_RESPONSE } from '../queue/queue.dto';
import { CouponViewDto, UserIdParamDto, WalletEntryDto } from './catalog.dto';

/**
 * Read-only views of the coupon service. Not behind the waiting room: they
 * are cheap (one indexed query or a Redis read) and people need them to decide
 * whether to queue at all.
 */
@ApiTags('coupons')
@ApiServiceUnavailableResponse({
  description: 'The coupon service cannot be reached (Retry-After)',
})
@Controller('api')
export class CatalogController {
  constructor(private readonly coupons: CouponClient) {}

  @Get('coupons')
  @ApiOperation({ summary: 'Every coupon with its remaining stock' })
  @ApiOkResponse({ type: [CouponViewDto] })
  list(): Promise<CouponView[]> {
    return this.coupons.list();
  }

  @Get('users/:userId/coupons')
  @ApiOperation({ summary: "A user's wallet: the coupons issued to them" })
  @ApiOkResponse({ type: [WalletEntryDto] })
  @ApiBadRequestResponse({ description: 'VALIDATION_FAILED: not a valid userId' })
  @ApiResponse(URI_TOO_LONG_RESPONSE)
  wallet(@Param() params: UserIdParamDto): Promise<WalletEntry[]> {
    return this.coupons.wallet(params.userId);
  }
}

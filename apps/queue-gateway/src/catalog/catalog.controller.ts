import { Controller, Get, Headers, Param } from '@nestjs/common';
import type { IncomingHttpHeaders } from 'node:http';
import {
  ApiBadRequestResponse,
  ApiForbiddenResponse,
  ApiOkResponse,
  ApiOperation,
  ApiResponse,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { CouponClient, CouponView, WalletEntry } from '@app/contracts';
import { IdentityService } from '../identity/identity.service';
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
  constructor(
    private readonly coupons: CouponClient,
    private readonly identity: IdentityService,
  ) {}

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
  @ApiUnauthorizedResponse({
    description: 'IDENTITY_REQUIRED / IDENTITY_INVALID (IDENTITY_MODE=jwt): no valid bearer token',
  })
  @ApiForbiddenResponse({
    description: "IDENTITY_MISMATCH (IDENTITY_MODE=jwt): another user's wallet",
  })
  async wallet(
    @Param() params: UserIdParamDto,
    @Headers() headers: IncomingHttpHeaders,
  ): Promise<WalletEntry[]> {
    // With IDENTITY_MODE=jwt, only the user themselves may read their wallet.
    return this.coupons.wallet(await this.identity.userOf(headers, params.userId));
  }
}

import { Body, Controller, Headers, HttpCode, Param, Post, Res } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiGoneResponse,
  ApiHeader,
  ApiNotFoundResponse,
  ApiOperation,
  ApiResponse,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { GatewayMetrics } from './gateway-metrics';
import {
  IssuedCouponDto,
  IssueRequestDto,
  LineCodeParamDto,
  WaitingResponseDto,
} from './queue.dto';
import { QueueService } from './queue.service';

export const TICKET_HEADER = 'x-queue-ticket';

@ApiTags('queue')
@Controller('api/coupons')
export class IssueController {
  constructor(
    private readonly queue: QueueService,
    private readonly metrics: GatewayMetrics,
  ) {}

  @Post(':code/issue')
  @HttpCode(201)
  @ApiOperation({
    summary: 'Issue a coupon, through the waiting room',
    description:
      'Without X-Queue-Ticket: a ticket record is appended to Kafka and the answer is 307 with the place in line ' +
      '(no Location header, so fetch/XHR read it instead of following it). With the ticket: 307 with fresh numbers ' +
      "until admitted, then the coupon service's answer.",
  })
  @ApiHeader({
    name: 'X-Queue-Ticket',
    required: false,
    description: 'The ticket from an earlier 307',
  })
  @ApiResponse({
    status: 307,
    type: WaitingResponseDto,
    description:
      'Waiting: poll again after pollAfterMs (Retry-After) with the X-Queue-Ticket header',
    headers: {
      'Retry-After': { description: 'Seconds until the next poll', schema: { type: 'integer' } },
      'X-Queue-Ticket': { description: 'The signed ticket', schema: { type: 'string' } },
    },
  })
  @ApiCreatedResponse({ type: IssuedCouponDto, description: 'Admitted and issued' })
  @ApiBadRequestResponse({ description: 'Invalid code or body' })
  @ApiUnauthorizedResponse({ description: 'TICKET_INVALID: forged, tampered or garbage ticket' })
  @ApiForbiddenResponse({
    description: 'TICKET_MISMATCH: a genuine ticket of another user or coupon',
  })
  @ApiNotFoundResponse({ description: 'UNKNOWN_COUPON' })
  @ApiConflictResponse({ description: 'ALREADY_ISSUED to this user' })
  @ApiGoneResponse({
    description: 'SOLD_OUT, TICKET_CANCELLED, TICKET_ABANDONED, TICKET_SPENT or PASS_EXPIRED',
  })
  @ApiServiceUnavailableResponse({
    description: 'Kafka or the coupon service unavailable (Retry-After)',
  })
  async issue(
    @Param() { code }: LineCodeParamDto,
    @Body() { userId }: IssueRequestDto,
    @Headers(TICKET_HEADER) ticket: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<WaitingResponseDto | IssuedCouponDto> {
    const kind = ticket ? 'poll' : 'enqueue';
    const end = this.metrics.requestDuration.startTimer({ kind });
    try {
      const result = ticket
        ? await this.queue.poll(ticket, code, userId)
        : await this.queue.enqueue(code, userId);
      if (result.kind === 'issued') return result.body;
      reply
        .status(307)
        .header('Retry-After', String(Math.ceil(result.body.pollAfterMs / 1000)))
        .header('X-Queue-Ticket', result.body.ticket)
        .header('Cache-Control', 'no-store');
      return result.body;
    } finally {
      end();
    }
  }
}

import { Controller, Delete, Get, HttpCode, Param, Post, Req, Res } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiForbiddenResponse,
  ApiHeader,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiResponse,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { GatewayMetrics } from './gateway-metrics';
import {
  LineCodeParamDto,
  TicketStatusDto,
  TicketUuidParamDto,
  URI_TOO_LONG_RESPONSE,
} from './queue.dto';
import { QueueService } from './queue.service';
import { TicketEvents } from './ticket-events';

@ApiTags('queue')
@ApiHeader({
  name: 'X-Queue-Ticket',
  required: false,
  description: 'The ticket from the 307 (browsers: the HttpOnly cookie wrt_{code} instead)',
})
@ApiBadRequestResponse({ description: 'VALIDATION_FAILED: not a UUID v4 or not a line code' })
@ApiResponse(URI_TOO_LONG_RESPONSE)
@ApiUnauthorizedResponse({
  description: 'TICKET_INVALID: missing, forged, tampered or garbage ticket',
})
@ApiForbiddenResponse({ description: 'TICKET_MISMATCH: the ticket is for another ticket id' })
@Controller('api/queue')
export class TicketsController {
  constructor(
    private readonly queue: QueueService,
    private readonly events: TicketEvents,
    private readonly metrics: GatewayMetrics,
  ) {}

  @Get('tickets/:uuid')
  @ApiOperation({ summary: "A ticket's status and place in line (also a heartbeat)" })
  @ApiOkResponse({ type: TicketStatusDto })
  async status(
    @Param() { uuid }: TicketUuidParamDto,
    @Req() req: FastifyRequest,
  ): Promise<TicketStatusDto> {
    const end = this.metrics.requestDuration.startTimer({ kind: 'status' });
    try {
      const claims = await this.queue.holderFromRequest(req.headers, uuid);
      return await this.queue.statusOf(claims, true);
    } finally {
      end();
    }
  }

  @Get('tickets/:uuid/events')
  @ApiOperation({
    summary: "Server-Sent Events: the ticket's numbers as the line moves, ending with its outcome",
    description:
      'Events: `ticket` (once, first), `line` (the line state of GET /api/lines/{code}, whenever the line ' +
      "moves), `: keep-alive` comments, and `outcome` (last). An open stream is the holder's heartbeat. " +
      'See docs/waiting-page.md.',
  })
  @ApiProduces('text/event-stream')
  @ApiOkResponse({ description: 'An event stream' })
  @ApiServiceUnavailableResponse({
    description:
      'This process holds SSE_MAX_CONNECTIONS streams already: poll instead (Retry-After)',
  })
  @ApiConflictResponse({
    description:
      'NOT_PLACED_YET: a pre-queue ticket has no place to follow until the draw; poll its status (Retry-After)',
  })
  async stream(
    @Param() { uuid }: TicketUuidParamDto,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const claims = await this.queue.streamClaims(
      await this.queue.holderFromRequest(req.headers, uuid),
    );
    // Opening a stream is the holder asking: a beat (and a rejoin within the grace window).
    await this.queue.statusOf(claims, true);
    await this.events.open(claims, reply);
  }

  @Post('tickets/:uuid/heartbeat')
  @HttpCode(204)
  @ApiOperation({
    summary: 'I am still here: for clients that read the cached line state instead of polling',
  })
  @ApiNoContentResponse({ description: 'Noted' })
  async heartbeat(
    @Param() { uuid }: TicketUuidParamDto,
    @Req() req: FastifyRequest,
  ): Promise<void> {
    this.queue.heartbeat(await this.queue.holderFromRequest(req.headers, uuid));
  }

  @Delete('tickets/:uuid')
  @ApiOperation({ summary: 'Leave the line (idempotent; only the holder of the ticket)' })
  @ApiOkResponse({ type: TicketStatusDto, description: 'status is always "cancelled"' })
  @ApiConflictResponse({
    description:
      'TICKET_SPENT: a used ticket cannot be cancelled; TICKET_ISSUING: its coupon is being issued right now (ask again)',
  })
  async cancel(
    @Param() { uuid }: TicketUuidParamDto,
    @Req() req: FastifyRequest,
  ): Promise<TicketStatusDto> {
    const claims = await this.queue.holderFromRequest(req.headers, uuid);
    return this.queue.cancel(claims);
  }

  @Get('lines/:code/ticket')
  @ApiOperation({
    summary: "This browser's ticket for a line, from its cookie (for the waiting page)",
  })
  @ApiOkResponse({ type: TicketStatusDto })
  @ApiNotFoundResponse({ description: 'NO_TICKET: no valid ticket cookie for this line' })
  async lineTicket(
    @Param() { code }: LineCodeParamDto,
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TicketStatusDto> {
    reply.header('Cache-Control', 'no-store');
    return this.queue.lineTicket(req.headers, code);
  }
}

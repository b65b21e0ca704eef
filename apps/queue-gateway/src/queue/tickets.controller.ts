import { Controller, Delete, Get, Headers, Param } from '@nestjs/common';
import {
  ApiConflictResponse,
  ApiForbiddenResponse,
  ApiHeader,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { InvalidTicketError } from '@app/ticket';
import { GatewayMetrics } from './gateway-metrics';
import { TICKET_HEADER } from './issue.controller';
import { TicketStatusDto, TicketUuidParamDto } from './queue.dto';
import { QueueService } from './queue.service';

const requireTicket = (ticket: string | undefined): string => {
  if (!ticket) throw new InvalidTicketError('the X-Queue-Ticket header is missing');
  return ticket;
};

@ApiTags('queue')
@ApiHeader({ name: 'X-Queue-Ticket', required: true, description: 'The ticket from the 307' })
@ApiUnauthorizedResponse({
  description: 'TICKET_INVALID: missing, forged, tampered or garbage ticket',
})
@ApiForbiddenResponse({ description: 'TICKET_MISMATCH: the ticket is for another ticket id' })
@Controller('api/queue/tickets')
export class TicketsController {
  constructor(
    private readonly queue: QueueService,
    private readonly metrics: GatewayMetrics,
  ) {}

  @Get(':uuid')
  @ApiOperation({ summary: "A ticket's status and place in line (also a heartbeat)" })
  @ApiOkResponse({ type: TicketStatusDto })
  async status(
    @Param() { uuid }: TicketUuidParamDto,
    @Headers(TICKET_HEADER) ticket: string | undefined,
  ): Promise<TicketStatusDto> {
    const end = this.metrics.requestDuration.startTimer({ kind: 'status' });
    try {
      return await this.queue.status(requireTicket(ticket), uuid);
    } finally {
      end();
    }
  }

  @Delete(':uuid')
  @ApiOperation({ summary: 'Leave the line (idempotent; only the holder of the ticket)' })
  @ApiOkResponse({ type: TicketStatusDto, description: 'status is always "cancelled"' })
  @ApiConflictResponse({ description: 'TICKET_SPENT: a used ticket cannot be cancelled' })
  cancel(
    @Param() { uuid }: TicketUuidParamDto,
    @Headers(TICKET_HEADER) ticket: string | undefined,
  ): Promise<TicketStatusDto> {
    return this.queue.cancel(requireTicket(ticket), uuid);
  }
}

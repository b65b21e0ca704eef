import { Module } from '@nestjs/common';
import { CouponClientModule } from '@app/contracts';
import { OffsetsView, TicketLog } from '@app/kafka';
import { TicketModule } from '@app/ticket';
import { CatalogCache } from './catalog-cache';
import { GatewayMetrics } from './gateway-metrics';
import { HeartbeatBuffer } from './heartbeat-buffer';
import { IssueController } from './issue.controller';
import { QueueService } from './queue.service';
import { TicketStateRepository } from './ticket-state.repository';
import { TicketsController } from './tickets.controller';

/** The waiting room itself: enqueue, poll, status, cancel. One TicketLog and one OffsetsView per process. */
@Module({
  imports: [CouponClientModule, TicketModule],
  controllers: [IssueController, TicketsController],
  providers: [
    TicketLog,
    OffsetsView,
    CatalogCache,
    GatewayMetrics,
    HeartbeatBuffer,
    TicketStateRepository,
    QueueService,
  ],
  exports: [OffsetsView, TicketLog, CatalogCache, GatewayMetrics],
})
export class QueueModule {}

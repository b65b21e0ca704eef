import { Module } from '@nestjs/common';
import { CouponClientModule } from '@app/contracts';
import { OffsetsView, TicketLog } from '@app/kafka';
import { TicketModule } from '@app/ticket';
import { CatalogCache } from './catalog-cache';
import { CancellationBus } from './cancellation-bus';
import { PlaceRegistry } from './place-registry';
import { GatewayMetrics } from './gateway-metrics';
import { HeartbeatBuffer } from './heartbeat-buffer';
import { IssueController } from './issue.controller';
import { LineStateService } from './line-state.service';
import { LinesController } from './lines.controller';
import { QueueService } from './queue.service';
import { TicketEvents } from './ticket-events';
import { TicketStateRepository } from './ticket-state.repository';
import { TicketsController } from './tickets.controller';

/** The waiting room itself: enqueue, poll, status, cancel, event streams, the public line state. One TicketLog and one OffsetsView per process. */
@Module({
  imports: [CouponClientModule, TicketModule],
  controllers: [IssueController, TicketsController, LinesController],
  providers: [
    TicketLog,
    OffsetsView,
    CatalogCache,
    GatewayMetrics,
    HeartbeatBuffer,
    TicketStateRepository,
    LineStateService,
    TicketEvents,
    CancellationBus,
    PlaceRegistry,
    QueueService,
  ],
  exports: [OffsetsView, TicketLog, CatalogCache, GatewayMetrics, LineStateService],
})
export class QueueModule {}

import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import type Redis from 'ioredis';
import { Env } from '@app/config';
import { CouponClientModule } from '@app/contracts';
import { OffsetsView, TicketLog } from '@app/kafka';
import { REDIS } from '@app/redis';
import { TicketModule } from '@app/ticket';
import { CatalogModule } from '../catalog/catalog.module';
import { DrawService } from '../draw/draw.service';
import { IdentityModule } from '../identity/identity.service';
import { CancellationBus } from './cancellation-bus';
import { ClientThrottlerGuard } from './client-throttler.guard';
import { PlaceRegistry } from './place-registry';
import { IssueFastPath } from './issue-fast-path';
import { ProofOfWork } from './proof-of-work';
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
  imports: [
    CouponClientModule,
    CatalogModule,
    TicketModule,
    IdentityModule,
    // Per-client budgets, counted in Redis (shared by every gateway): ClientThrottlerGuard.
    ThrottlerModule.forRootAsync({
      inject: [Env, REDIS],
      useFactory: (env: Env, redis: Redis) => ({
        throttlers: [
          { name: 'join', ttl: 60_000, limit: env.RATE_LIMIT_JOINS_PER_MINUTE },
          { name: 'poll', ttl: 60_000, limit: env.RATE_LIMIT_POLLS_PER_MINUTE },
        ],
        storage: new ThrottlerStorageRedisService(redis),
        setHeaders: false,
      }),
    }),
  ],
  controllers: [IssueController, TicketsController, LinesController],
  providers: [
    TicketLog,
    OffsetsView,
    GatewayMetrics,
    HeartbeatBuffer,
    TicketStateRepository,
    LineStateService,
    TicketEvents,
    CancellationBus,
    PlaceRegistry,
    ProofOfWork,
    DrawService,
    QueueService,
    IssueFastPath,
    { provide: APP_GUARD, useClass: ClientThrottlerGuard },
  ],
  exports: [OffsetsView, TicketLog, CatalogModule, GatewayMetrics, LineStateService, DrawService],
})
export class QueueModule {}

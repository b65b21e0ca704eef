import { DynamicModule, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { createLoggerModule, MetricsModule } from '@app/common';
import { ConfigModule, Env, loadEnv } from '@app/config';
import { KafkaModule } from '@app/kafka';
import { RedisModule } from '@app/redis';
import { TicketModule } from '@app/ticket';
import { AdminModule } from './admin/admin.module';
import { CatalogModule } from './catalog';
import { CouponHealthIndicator } from './health/coupon-health.indicator';
import { HealthController } from './health/health.controller';
import { QueueModule } from './queue/queue.module';

@Module({})
export class GatewayModule {
  static forRoot(env: Env = loadEnv()): DynamicModule {
    return {
      module: GatewayModule,
      imports: [
        ConfigModule.forRoot(env),
        createLoggerModule(env, 'queue-gateway'),
        TerminusModule,
        MetricsModule,
        KafkaModule,
        RedisModule,
        TicketModule,
        CatalogModule,
        QueueModule,
        AdminModule,
      ],
      controllers: [HealthController],
      providers: [CouponHealthIndicator],
    };
  }
}

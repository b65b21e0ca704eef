import { DynamicModule, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import {
  createLoggerModule,
  dependencyChecks,
  HealthController,
  MetricsModule,
  readinessChecks,
} from '@app/common';
import { ConfigModule, Env, loadEnv } from '@app/config';
import { KafkaHealthIndicator, KafkaModule } from '@app/kafka';
import { RedisHealthIndicator, RedisModule } from '@app/redis';
import { TicketModule } from '@app/ticket';
import { AdminModule } from './admin/admin.module';
import { CatalogModule } from './catalog';
import { CouponHealthIndicator } from './health/coupon-health.indicator';
import { GatewayReadinessIndicator } from './health/gateway-readiness.indicator';
import { QueueModule } from './queue/queue.module';
import { WebModule } from './web/web.module';

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
        WebModule,
      ],
      controllers: [HealthController],
      providers: [
        CouponHealthIndicator,
        GatewayReadinessIndicator,
        readinessChecks([GatewayReadinessIndicator], (gateway: GatewayReadinessIndicator) => [
          () => gateway.isReady(),
        ]),
        dependencyChecks(
          [KafkaHealthIndicator, RedisHealthIndicator, CouponHealthIndicator],
          (
            kafka: KafkaHealthIndicator,
            redis: RedisHealthIndicator,
            coupons: CouponHealthIndicator,
          ) => [() => kafka.isHealthy(), () => redis.isHealthy(), () => coupons.isHealthy()],
        ),
      ],
    };
  }
}

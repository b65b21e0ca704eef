import { DynamicModule, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { createLoggerModule, MetricsModule } from '@app/common';
import { ConfigModule, Env, loadEnv } from '@app/config';
import { KafkaModule } from '@app/kafka';
import { RedisModule } from '@app/redis';
import { HealthController } from './health/health.controller';

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
      ],
      controllers: [HealthController],
    };
  }
}

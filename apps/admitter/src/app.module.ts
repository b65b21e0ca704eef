import { DynamicModule, Module } from '@nestjs/common';
import { HealthIndicatorService, TerminusModule } from '@nestjs/terminus';
import { createLoggerModule, HealthController, MetricsModule, readinessChecks } from '@app/common';
import { ConfigModule, Env, loadEnv } from '@app/config';
import { KafkaHealthIndicator, KafkaModule } from '@app/kafka';
import { RedisHealthIndicator, RedisModule } from '@app/redis';
import { AdmissionService } from './admission/admission.service';
import { AdmissionStore } from './admission/admission.store';
import { AdmitterMetrics } from './admission/admitter.metrics';
import {
  ADMITTER_OPTIONS,
  AdmitterOptions,
  defaultAdmitterOptions,
} from './admission/admitter.options';

@Module({})
export class AdmitterModule {
  /** `options` tune the loop's intervals (tests shorten them); the env carries everything else. */
  static forRoot(env: Env = loadEnv(), options: Partial<AdmitterOptions> = {}): DynamicModule {
    return {
      module: AdmitterModule,
      imports: [
        ConfigModule.forRoot(env),
        createLoggerModule(env, 'admitter'),
        TerminusModule,
        MetricsModule,
        KafkaModule,
        RedisModule,
      ],
      controllers: [HealthController],
      providers: [
        readinessChecks(
          [KafkaHealthIndicator, RedisHealthIndicator, HealthIndicatorService, AdmissionService],
          (
            kafka: KafkaHealthIndicator,
            redis: RedisHealthIndicator,
            health: HealthIndicatorService,
            admission: AdmissionService,
          ) => [
            () => kafka.isHealthy(),
            () => redis.isHealthy(),
            // A consumer that crashed is restarted by the next discovery; until then, not ready.
            () => {
              const consumer = health.check('lineConsumer');
              return admission.consuming
                ? consumer.up()
                : consumer.down({ message: 'not fetching' });
            },
          ],
        ),
        { provide: ADMITTER_OPTIONS, useValue: { ...defaultAdmitterOptions, ...options } },
        AdmissionStore,
        AdmitterMetrics,
        AdmissionService,
      ],
      exports: [AdmissionService],
    };
  }
}

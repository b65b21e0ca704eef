import { DynamicModule, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { createLoggerModule, MetricsModule } from '@app/common';
import { ConfigModule, Env, loadEnv } from '@app/config';
import { KafkaModule } from '@app/kafka';
import { RedisModule } from '@app/redis';
import { AdmissionService } from './admission/admission.service';
import { AdmissionStore } from './admission/admission.store';
import { AdmitterMetrics } from './admission/admitter.metrics';
import { ADMITTER_OPTIONS, AdmitterOptions, defaultAdmitterOptions } from './admission/admitter.options';
import { HealthController } from './health/health.controller';

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
        { provide: ADMITTER_OPTIONS, useValue: { ...defaultAdmitterOptions, ...options } },
        AdmissionStore,
        AdmitterMetrics,
        AdmissionService,
      ],
      exports: [AdmissionService],
    };
  }
}

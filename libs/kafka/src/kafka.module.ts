import { Global, Injectable, Module } from '@nestjs/common';
import { HealthIndicatorService, TerminusModule } from '@nestjs/terminus';
import { KafkaClient } from './kafka.client';

@Injectable()
export class KafkaHealthIndicator {
  constructor(
    private readonly kafka: KafkaClient,
    private readonly health: HealthIndicatorService,
  ) {}

  async isHealthy(key = 'kafka') {
    const indicator = this.health.check(key);
    try {
      await this.kafka.ping();
      return indicator.up();
    } catch (e) {
      return indicator.down({ message: (e as Error).message });
    }
  }
}

@Global()
@Module({
  imports: [TerminusModule],
  providers: [KafkaClient, KafkaHealthIndicator],
  exports: [KafkaClient, KafkaHealthIndicator],
})
export class KafkaModule {}

import { Controller, Get } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import { KafkaHealthIndicator } from '@app/kafka';
import { RedisHealthIndicator } from '@app/redis';

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly kafka: KafkaHealthIndicator,
    private readonly redis: RedisHealthIndicator,
  ) {}

  /** Liveness: the process answers. */
  @Get('live')
  @HealthCheck()
  live() {
    return this.health.check([]);
  }

  /** Readiness: Kafka and Redis answer. */
  @Get(['ready', ''])
  @HealthCheck()
  ready() {
    return this.health.check([() => this.kafka.isHealthy(), () => this.redis.isHealthy()]);
  }
}

import { Controller, Get } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import { KafkaHealthIndicator } from '@app/kafka';
import { RedisHealthIndicator } from '@app/redis';
import { CouponHealthIndicator } from './coupon-health.indicator';

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly kafka: KafkaHealthIndicator,
    private readonly redis: RedisHealthIndicator,
    private readonly coupons: CouponHealthIndicator,
  ) {}

  /** Liveness: the process answers. */
  @Get('live')
  @HealthCheck()
  live() {
    return this.health.check([]);
  }

  /** Readiness: Kafka, Redis and the coupon service answer. */
  @Get(['ready', ''])
  @HealthCheck()
  ready() {
    return this.health.check([
      () => this.kafka.isHealthy(),
      () => this.redis.isHealthy(),
      () => this.coupons.isHealthy(),
    ]);
  }
}

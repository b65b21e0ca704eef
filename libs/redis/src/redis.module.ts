import { Global, Inject, Injectable, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import { HealthIndicatorService, TerminusModule } from '@nestjs/terminus';
import Redis from 'ioredis';
import { withTimeout } from '@app/common/timeout';
import { Env } from '@app/config';
import { describeRedisConnection, redisConnection } from './redis-options';

export const REDIS = Symbol('REDIS');

/**
 * One ioredis connection per process, every key under REDIS_KEY_PREFIX; reached,
 * authenticated and encrypted as redisConnection says (its duplicate() too).
 */
export const createRedis = (
  env: Env,
  overrides: Partial<{ keyPrefix: string; lazyConnect: boolean }> = {},
) =>
  new Redis({
    ...redisConnection(env),
    keyPrefix: overrides.keyPrefix ?? env.REDIS_KEY_PREFIX,
    lazyConnect: overrides.lazyConnect ?? false,
    maxRetriesPerRequest: 2,
    enableAutoPipelining: true,
    connectTimeout: 2000,
  });

@Injectable()
export class RedisHealthIndicator {
  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    private readonly health: HealthIndicatorService,
  ) {}

  async isHealthy(key = 'redis') {
    const indicator = this.health.check(key);
    try {
      await withTimeout(this.redis.ping(), 1000, 'redis ping');
      return indicator.up();
    } catch (e) {
      return indicator.down({ message: (e as Error).message });
    }
  }
}

@Injectable()
class RedisCloser implements OnApplicationShutdown {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}
  async onApplicationShutdown(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

@Global()
@Module({
  imports: [TerminusModule],
  providers: [
    {
      provide: REDIS,
      inject: [Env],
      useFactory: (env: Env) => {
        new Logger('Redis').log(describeRedisConnection(env));
        return createRedis(env);
      },
    },
    RedisHealthIndicator,
    RedisCloser,
  ],
  exports: [REDIS, RedisHealthIndicator],
})
export class RedisModule {}

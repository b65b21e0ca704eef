import { DynamicModule, Logger, Module } from '@nestjs/common';
import { TerminusModule, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { TypeOrmModule } from '@nestjs/typeorm';
import type Redis from 'ioredis';
import { createLoggerModule, HealthController, MetricsModule, readinessChecks } from '@app/common';
import { ConfigModule, Env, loadEnv } from '@app/config';
import { RedisLock } from '@app/lock';
import { REDIS, RedisHealthIndicator, RedisModule } from '@app/redis';
import { dataSourceOptions } from './database/data-source';
import { describePostgresSsl } from './database/postgres-ssl';
import { CouponCatalog } from './issuance/coupon-catalog.service';
import { CouponQueries } from './issuance/coupon-queries.service';
import { CouponStockStore } from './issuance/coupon-stock.store';
import { CouponController } from './issuance/coupon.controller';
import { CouponMetrics } from './issuance/coupon.metrics';
import { CouponRepository } from './issuance/coupon.repository';
import { IssueCouponUseCase } from './issuance/issue-coupon.usecase';
import { StockReconciler } from './issuance/stock-reconciler.service';

/** Lock keys live under `${REDIS_KEY_PREFIX}coupon-lock:`. */
export const COUPON_LOCK_NAMESPACE = 'coupon-lock';

@Module({})
export class CouponServiceModule {
  static forRoot(env: Env = loadEnv()): DynamicModule {
    return {
      module: CouponServiceModule,
      imports: [
        ConfigModule.forRoot(env),
        createLoggerModule(env, 'coupon-service'),
        TerminusModule,
        MetricsModule,
        RedisModule,
        TypeOrmModule.forRootAsync({
          inject: [Env],
          useFactory: (e: Env) => {
            new Logger('Postgres').log(
              `${e.POSTGRES_HOST}:${e.POSTGRES_PORT}, ${describePostgresSsl(e)}`,
            );
            return dataSourceOptions(e);
          },
        }),
      ],
      controllers: [CouponController, HealthController],
      providers: [
        readinessChecks(
          [TypeOrmHealthIndicator, RedisHealthIndicator],
          (db: TypeOrmHealthIndicator, redis: RedisHealthIndicator) => [
            () => db.pingCheck('postgres', { timeout: 1000 }),
            () => redis.isHealthy(),
          ],
        ),
        {
          provide: RedisLock,
          inject: [REDIS],
          useFactory: (redis: Redis) => new RedisLock(redis, COUPON_LOCK_NAMESPACE),
        },
        CouponRepository,
        CouponStockStore,
        CouponCatalog,
        StockReconciler,
        CouponMetrics,
        IssueCouponUseCase,
        CouponQueries,
      ],
    };
  }
}

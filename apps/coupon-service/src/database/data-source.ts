import { DataSourceOptions } from 'typeorm';
import { Env } from '@app/config';
import { entities } from './entities';
import { CreateCouponTables1763769600000 } from './migrations/1763769600000-create-coupon-tables';
import { SeedCoupons1763769600001 } from './migrations/1763769600001-seed-coupons';
import { StockGuard1763769600002 } from './migrations/1763769600002-stock-guard';
import { postgresSsl } from './postgres-ssl';

/** Imported as classes, not globbed, so ts-jest, tsc output and bundlers all see the same list. */
export const migrations = [
  CreateCouponTables1763769600000,
  SeedCoupons1763769600001,
  StockGuard1763769600002,
];

export const dataSourceOptions = (
  env: Env,
  overrides: Partial<{ database: string; poolSize: number }> = {},
): DataSourceOptions => ({
  type: 'postgres',
  host: env.POSTGRES_HOST,
  port: env.POSTGRES_PORT,
  username: env.POSTGRES_USER,
  password: env.POSTGRES_PASSWORD,
  database: overrides.database ?? env.POSTGRES_DB,
  // POSTGRES_SSL_MODE and POSTGRES_SSL_CA_FILE: the app, the migration and the tests alike.
  ssl: postgresSsl(env),
  entities,
  migrations,
  migrationsTableName: 'typeorm_migrations',
  // Each migration in its own transaction: a failed one leaves the earlier ones applied.
  migrationsTransactionMode: 'each',
  synchronize: false,
  logging: ['error'],
  // Connections are opened at start (CouponRepository.warmUp) and kept: opening
  // one (TCP + SCRAM) in the middle of a spike is what makes a pool time out.
  extra: {
    max: overrides.poolSize ?? env.POSTGRES_POOL_SIZE,
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 0,
  },
});

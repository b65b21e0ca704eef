// Harness for the coupon-service integration and e2e tests: a private
// PostgreSQL database and Redis key prefix per test file, and coupon-service
// instances as real processes (the built dist/ entry point).
import { ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ClientTCP } from '@nestjs/microservices';
import Redis from 'ioredis';
import { Client } from 'pg';
import { firstValueFrom, timeout } from 'rxjs';
import { DataSource } from 'typeorm';
import { loadEnv } from '@app/config';
import { IssueCouponCommand, IssueCouponResult, withCouponAuth } from '@app/contracts';
import { dataSourceOptions } from '../../apps/coupon-service/src/database/data-source';
import { runMigrations } from '../../apps/coupon-service/src/migrate';
import { freePort, randomName, ROOT, stopProcess, waitFor } from './common';

export { freePort, randomName, ROOT, waitFor } from './common';

export const MAIN_JS = join(ROOT, 'dist', 'apps', 'coupon-service', 'src', 'main.js');

const adminClient = () => {
  const env = loadEnv();
  return new Client({
    host: env.POSTGRES_HOST,
    port: env.POSTGRES_PORT,
    user: env.POSTGRES_USER,
    password: env.POSTGRES_PASSWORD,
    database: env.POSTGRES_DB,
  });
};

/** A fresh database `cw_<random>` with the migrations applied, and a Redis prefix. */
export class CouponTestWorld {
  readonly database = randomName('cw_');
  readonly redisPrefix = `${randomName('cwt')}:`;
  readonly redis: Redis;
  db!: DataSource;

  constructor() {
    const env = loadEnv();
    this.redis = new Redis({
      host: env.REDIS_HOST,
      port: env.REDIS_PORT,
      password: env.REDIS_PASSWORD || undefined,
    });
  }

  async setUp(poolSize = 4): Promise<this> {
    const admin = adminClient();
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE ${this.database}`);
    } finally {
      await admin.end();
    }
    await runMigrations(this.database);
    this.db = new DataSource(dataSourceOptions(loadEnv(), { database: this.database, poolSize }));
    await this.db.initialize();
    return this;
  }

  async tearDown(): Promise<void> {
    await this.db?.destroy().catch(() => undefined);
    const admin = adminClient();
    await admin.connect();
    try {
      await admin.query(`DROP DATABASE IF EXISTS ${this.database} WITH (FORCE)`);
    } finally {
      await admin.end();
    }
    let cursor = '0';
    do {
      const [next, keys] = await this.redis.scan(
        cursor,
        'MATCH',
        `${this.redisPrefix}*`,
        'COUNT',
        1000,
      );
      cursor = next;
      if (keys.length) await this.redis.del(...keys);
    } while (cursor !== '0');
    this.redis.disconnect();
  }

  /** Every (user, mark) of a coupon's Redis holders hash. */
  async redisHolders(code: string): Promise<Record<string, string>> {
    return this.redis.hgetall(`${this.redisPrefix}coupon:${code}:holders`);
  }

  async pgHolders(code: string): Promise<string[]> {
    const rows: { user_id: string }[] = await this.db.query(
      `SELECT user_id FROM coupon_wallet WHERE coupon_code = $1 ORDER BY user_id`,
      [code],
    );
    return rows.map((r) => r.user_id);
  }

  async duplicateHolders(): Promise<number> {
    const rows: { n: number }[] = await this.db.query(
      `SELECT count(*)::int AS n FROM (SELECT 1 FROM coupon_wallet GROUP BY coupon_code, user_id HAVING count(*) > 1) d`,
    );
    return rows[0]!.n;
  }
}

/** Sends until the answer is final; `busy` (503 + Retry-After at the gateway) is retried like a client would. */
export async function issueUntilFinal(
  instance: CouponInstance,
  code: string,
  userId: string,
): Promise<{ result: IssueCouponResult; busy: number }> {
  let busy = 0;
  for (;;) {
    const result = await instance.issue({ code, userId });
    if (result.outcome !== 'busy') return { result, busy };
    busy++;
    await new Promise((r) => setTimeout(r, 20 + Math.random() * 50));
  }
}

/** One coupon-service process. */
export class CouponInstance {
  proc?: ChildProcess;
  output = '';
  tcpPort!: number;
  httpPort!: number;
  private client?: ClientTCP;

  constructor(
    private readonly world: CouponTestWorld,
    private readonly extraEnv: Record<string, string> = {},
  ) {}

  async start(timeoutMs = 30_000): Promise<this> {
    if (!existsSync(MAIN_JS)) throw new Error(`${MAIN_JS} is missing: run \`npm run build\` first`);
    this.tcpPort ??= await freePort();
    this.httpPort ??= await freePort();
    this.output = '';
    this.proc = spawn(process.execPath, [MAIN_JS], {
      cwd: ROOT,
      env: {
        ...process.env,
        POSTGRES_DB: this.world.database,
        POSTGRES_POOL_SIZE: '6',
        REDIS_KEY_PREFIX: this.world.redisPrefix,
        COUPON_SERVICE_BIND_HOST: '127.0.0.1',
        COUPON_SERVICE_PORT: String(this.tcpPort),
        COUPON_SERVICE_HTTP_PORT: String(this.httpPort),
        SWAGGER_ENABLED: 'false',
        LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
        ...this.extraEnv,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const collect = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString()).slice(-20_000);
    };
    this.proc.stdout!.on('data', collect);
    this.proc.stderr!.on('data', collect);
    const proc = this.proc;
    await waitFor(
      async () => {
        if (proc.exitCode !== null)
          throw new Error(`coupon-service exited ${proc.exitCode}: ${this.output}`);
        const res = await fetch(`http://127.0.0.1:${this.httpPort}/health/ready`).catch(() => null);
        return res?.ok ?? false;
      },
      timeoutMs,
      `coupon-service on ${this.tcpPort} to be ready`,
      100,
    );
    return this;
  }

  /**
   * The COUPON_SERVICE_TOKEN this instance checks every message against: its own
   * override, else the one from .env (the child gets `...process.env`).
   */
  get token(): string {
    const token = this.extraEnv.COUPON_SERVICE_TOKEN ?? process.env.COUPON_SERVICE_TOKEN;
    if (!token) throw new Error('COUPON_SERVICE_TOKEN is not set: run bash scripts/ensure-env.sh');
    return token;
  }

  /** Sends like the gateway's CouponClient: the payload plus the token in `auth`. */
  async send<T>(pattern: string, data: object, timeoutMs = 30_000): Promise<T> {
    return this.sendRaw<T>(pattern, withCouponAuth(data, this.token), timeoutMs);
  }

  /** Sends `data` as given, no token added (the authentication tests). */
  async sendRaw<T>(pattern: string, data: unknown, timeoutMs = 30_000): Promise<T> {
    this.client ??= new ClientTCP({ host: '127.0.0.1', port: this.tcpPort });
    return firstValueFrom(this.client.send<T>(pattern, data).pipe(timeout(timeoutMs)));
  }

  issue(cmd: IssueCouponCommand, timeoutMs?: number): Promise<IssueCouponResult> {
    return this.send('coupon.issue', cmd, timeoutMs);
  }

  /** SIGKILL: no shutdown hook runs, in-flight work is lost mid-way. */
  async kill9(): Promise<void> {
    await this.signal('SIGKILL');
  }

  async stop(): Promise<void> {
    await this.signal('SIGTERM');
  }

  private async signal(sig: NodeJS.Signals): Promise<void> {
    this.client?.close();
    this.client = undefined;
    if (this.proc) await stopProcess(this.proc, sig, 10_000);
  }
}

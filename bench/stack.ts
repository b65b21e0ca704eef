/**
 * What every phase of the bench shares: the run's settings, the stack it starts (its own
 * databases, Kafka topic prefix and consumer group, Redis prefix and app processes, all
 * removed again by cleanup()), the figures the phases fill in for the report, and the
 * helpers they measure with.
 */
import { ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import autocannon from 'autocannon';
import Redis from 'ioredis';
import { Client } from 'pg';
import { Env, loadEnv } from '@app/config';
import { KafkaClient } from '@app/kafka';
import { lineTopic } from '@app/queue';
import { freePorts, stopProcess, waitFor } from '../test/support/common';

export const exec = promisify(execFile);
export const ROOT = process.cwd();
/** The build this file runs from (dist/): the apps the bench starts are beside it. */
export const DIST = path.resolve(__dirname, '..');
export const RID = randomBytes(3).toString('hex');
/** The run's folder: the apps' logs, and the report of a partial run (BENCH_ONLY). */
export const LOGS = path.join(ROOT, 'reports', `bench-${RID}`);
export const DURATION = Number(process.env.BENCH_DURATION ?? 10);
export const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
/** Concurrent issue requests in every issuing phase (naive, direct, end to end), so their rates compare. */
export const ISSUERS = 200;
export const FILL_BIG = Number(process.env.BENCH_BIG_LINE ?? 1_000_000);
/**
 * BENCH_ONLY=waiters,linestate runs only the phases whose names contain one of these words
 * (case-insensitive; the stack always starts) and writes its report into the run's folder
 * under reports/, not over BENCHMARKS.md. Unset: every phase, BENCHMARKS.md.
 */
export const ONLY = (process.env.BENCH_ONLY ?? '')
  .split(',')
  .map((s) => s.trim().toLowerCase())
  .filter(Boolean);

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const log = (m: string) => process.stdout.write(`[bench] ${m}\n`);

export type Figures = Record<string, string | number>;

/** Beside a figure merged from several runs (bench/merge.ts): its spread, "min-max". */
export const SPREAD = '~spread';

/** A figure as the report prints it: n/a when no phase measured it; with its spread over runs. */
export const formatter =
  (figures: Figures) =>
  (k: string, unit = ''): string => {
    if (figures[k] === undefined || Number.isNaN(figures[k])) return 'n/a';
    const spread = figures[k + SPREAD];
    return spread === undefined ? `${figures[k]}${unit}` : `${figures[k]}${unit} (${spread})`;
  };

/** One phase of the run: bench/main.ts runs them in order, each failure reported, not guessed. */
export interface Phase {
  /** As logged and reported; BENCH_ONLY selects phases by words of it. */
  name: string;
  /** Needs the apps (coupon service, admitter, gateway): skipped when they did not start. */
  needsStack: boolean;
  run(bench: BenchStack): Promise<void>;
}

export interface PgConfig {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
}

/** VmRSS of a process, in MiB. */
export function rssMiB(pid: number | undefined): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** Polls `url` until `answered` says yes to an answer of it (each try bounded at 1 s). */
async function waitHttp(url: string, ms: number, answered: (res: Response) => boolean) {
  await waitFor(
    async () => answered(await fetch(url, { signal: AbortSignal.timeout(1000) })),
    ms,
    `${url} to answer (logs: ${LOGS})`,
    250,
  );
}

/** Polls `url` until it answers 2xx (an app's readiness). */
export const waitReady = (url: string, ms = 60_000) => waitHttp(url, ms, (res) => res.ok);

/** Polls `url` until it answers anything at all (a server that listens). */
export const waitAnswer = (url: string, ms = 30_000) => waitHttp(url, ms, () => true);

/**
 * Kafka's own producer performance tool (the broker's jars, acks=all, unthrottled):
 * `records` records into `topic`; `recordArgs` says what to send. Returns its summary line.
 */
export async function producerPerf(
  topic: string,
  records: number,
  recordArgs: string[],
): Promise<string> {
  const { stdout } = await exec(
    'bash',
    [
      'scripts/services.sh',
      'kafka-java',
      'org.apache.kafka.tools.ProducerPerformance',
      '--topic',
      topic,
      '--num-records',
      String(records),
      ...recordArgs,
      '--throughput',
      '-1',
      '--producer-props',
      `bootstrap.servers=${process.env.KAFKA_BROKERS ?? '127.0.0.1:9092'}`,
      'acks=all',
    ],
    { maxBuffer: 64 * 1024 * 1024, timeout: 300_000 },
  );
  const summary = stdout
    .trim()
    .split('\n')
    .filter((l) => l.includes('records sent'))
    .pop();
  if (!summary) throw new Error(`ProducerPerformance printed no summary for ${topic}`);
  return summary;
}

/** The bench's apps and their data; every phase gets it. */
export class BenchStack {
  readonly figures: Figures = {};
  /** Run by cleanup(), last added first. */
  readonly cleanups: (() => Promise<unknown>)[] = [];
  readonly db = `bench_${RID}`;
  readonly naiveDb = `bench_naive_${RID}`;
  readonly prefix = `bench.${RID}.`;
  readonly redisPrefix = `bench-${RID}:`;
  readonly naiveRedisPrefix = `bench-naive-${RID}:`;
  readonly group = `bench-${RID}`;
  /** The environment the bench's apps run with (ports, prefixes, databases). */
  readonly env: NodeJS.ProcessEnv;
  /** The main gateway's base URL. */
  readonly gw: string;
  readonly admin: Record<string, string>;
  readonly kafka: KafkaClient;
  /** The main gateway's process, once started. */
  gateway?: ChildProcess;
  private readonly procs: { name: string; child: ChildProcess }[] = [];
  private readonly pgAdmin: Client;
  private cleaned?: Promise<void>;

  private constructor(
    /** The .env the run started from (the services, the tokens). */
    readonly base: Env,
    readonly ports: {
      gateway: number;
      coupon: number;
      couponHttp: number;
      admitterHttp: number;
      bare: number;
    },
  ) {
    this.env = {
      ...process.env,
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      GATEWAY_PORT: String(ports.gateway),
      COUPON_SERVICE_PORT: String(ports.coupon),
      COUPON_SERVICE_HTTP_PORT: String(ports.couponHttp),
      ADMITTER_HTTP_PORT: String(ports.admitterHttp),
      KAFKA_TOPIC_PREFIX: this.prefix,
      KAFKA_CLIENT_ID: `bench-${RID}`,
      ADMITTER_GROUP_ID: this.group,
      REDIS_KEY_PREFIX: this.redisPrefix,
      POSTGRES_DB: this.db,
      // lines stand still unless a phase opens them with the admin API
      ADMISSION_RATE_PER_SEC: '0.001',
      ADMISSION_BURST: '1',
      // the filler records of the long lines never poll: keep them live, not abandoned
      ABANDON_AFTER_SECONDS: '3600',
    };
    this.gw = `http://127.0.0.1:${ports.gateway}`;
    this.admin = {
      authorization: `Bearer ${base.ADMIN_TOKEN}`,
      'content-type': 'application/json',
    };
    this.kafka = new KafkaClient(loadEnv(this.env));
    this.pgAdmin = new Client(this.pg(base.POSTGRES_DB));
  }

  /** Picks the ports and connects to PostgreSQL; nothing is created yet. */
  static async connect(): Promise<BenchStack> {
    const [gateway, coupon, couponHttp, admitterHttp, bare] = await freePorts(5);
    const stack = new BenchStack(loadEnv(), { gateway, coupon, couponHttp, admitterHttp, bare });
    await stack.pgAdmin.connect();
    return stack;
  }

  /** PostgreSQL as the .env says, on `database`. */
  pg(database: string): PgConfig {
    const { POSTGRES_HOST, POSTGRES_PORT, POSTGRES_USER, POSTGRES_PASSWORD } = this.base;
    return {
      host: POSTGRES_HOST,
      port: POSTGRES_PORT,
      user: POSTGRES_USER,
      password: POSTGRES_PASSWORD,
      database,
    };
  }

  /** A Redis client on the .env's Redis (no key prefix unless given). */
  redis(keyPrefix?: string): Redis {
    return new Redis({
      host: this.base.REDIS_HOST,
      port: this.base.REDIS_PORT,
      password: this.base.REDIS_PASSWORD || undefined,
      ...(keyPrefix ? { keyPrefix } : {}),
    });
  }

  /** The bench's own databases (migrated, with its coupons) and the bare-route baseline app. */
  async prepare(): Promise<void> {
    await this.pgAdmin.query(`CREATE DATABASE ${this.db}`);
    this.cleanups.push(() => this.pgAdmin.query(`DROP DATABASE IF EXISTS ${this.db} WITH (FORCE)`));
    await this.pgAdmin.query(`CREATE DATABASE ${this.naiveDb}`);
    this.cleanups.push(() =>
      this.pgAdmin.query(`DROP DATABASE IF EXISTS ${this.naiveDb} WITH (FORCE)`),
    );
    this.cleanups.push(async () => {
      const admin = await this.kafka.admin();
      const topics = (await admin.listTopics()).filter((t) => t.startsWith(this.prefix));
      if (topics.length) await admin.deleteTopics({ topics });
      await admin.deleteGroups([this.group]).catch(() => undefined);
      await this.kafka.onApplicationShutdown();
    });
    this.cleanups.push(async () => {
      const r = this.redis();
      for (const p of [this.redisPrefix, this.naiveRedisPrefix]) {
        let cursor = '0';
        do {
          const [next, keys] = await r.scan(cursor, 'MATCH', `${p}*`, 'COUNT', 1000);
          if (keys.length) await r.del(...keys);
          cursor = next;
        } while (cursor !== '0');
      }
      r.disconnect();
    });
    await exec(process.execPath, [path.join(DIST, 'apps/coupon-service/src/migrate.js')], {
      env: this.env,
    });
    // Benchmark-only coupons in the bench's own database, so phases never share stock.
    const coupons = new Client(this.pg(this.db));
    await coupons.connect();
    await coupons.query(
      `INSERT INTO coupon (code, name, discount, quantity) VALUES
       ('DIRECT01', 'bench: direct issue', 1, 10000), ('E2E00001', 'bench: end to end', 1, 3000),
       ('SWARM001', 'bench: swarm chart', 1, 100000), ('ACCURAC1', 'bench: admission accuracy', 1, 10)`,
    );
    await coupons.end();

    this.start('bare', path.join(DIST, 'bench/bare-app.js'), {
      ...this.env,
      BARE_PORT: String(this.ports.bare),
    });
  }

  /** The coupon service, then the admitter and the gateway, each until it is ready. */
  async startApps(): Promise<void> {
    const app = (name: string) => path.join(DIST, 'apps', name, 'src/main.js');
    this.start('coupon-service', app('coupon-service'), this.env);
    await waitReady(`http://127.0.0.1:${this.ports.couponHttp}/health/ready`);
    this.start('admitter', app('admitter'), this.env);
    this.gateway = this.start('queue-gateway', app('queue-gateway'), this.env);
    await Promise.all([
      waitReady(`${this.gw}/health/ready`),
      waitReady(`http://127.0.0.1:${this.ports.admitterHttp}/health/ready`),
    ]);
  }

  /** Starts `script` in a node process of its own, logging into the run's folder; cleanup() ends it. */
  start(name: string, script: string, env: NodeJS.ProcessEnv): ChildProcess {
    const out = openSync(path.join(LOGS, `${name}.log`), 'a');
    const child = spawn(process.execPath, [script], { env, stdio: ['ignore', out, out] });
    this.procs.push({ name, child });
    return child;
  }

  /** Ends every process it started and removes what the run created (once, however often called). */
  cleanup(): Promise<void> {
    this.cleaned ??= (async () => {
      await Promise.all(this.procs.map(({ child }) => stopProcess(child, 'SIGTERM', 5000)));
      for (const c of this.cleanups.reverse())
        await c().catch((e) => log(`cleanup: ${(e as Error).message}`));
      await this.pgAdmin.end().catch(() => undefined);
    })();
    return this.cleaned;
  }

  /** POST /api/coupons/{code}/issue as a browser would, with the ticket when it has one. */
  async post(code: string, userId: string, ticket?: string) {
    const res = await fetch(`${this.gw}/api/coupons/${code}/issue`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(ticket ? { 'x-queue-ticket': ticket } : {}),
      },
      body: JSON.stringify({ userId }),
    });
    return {
      status: res.status,
      body: (await res.json().catch(() => null)) as Record<string, unknown> | null,
    };
  }

  /** Opens (or changes) a line's admission rate through the admin API. */
  async setRate(code: string, ratePerSec: number, burst: number): Promise<void> {
    const res = await fetch(`${this.gw}/api/admin/lines/${code}`, {
      method: 'PUT',
      headers: this.admin,
      body: JSON.stringify({ ratePerSec, burst, maxActive: 0 }),
    });
    if (!res.ok) throw new Error(`PUT /api/admin/lines/${code} answered ${res.status}`);
  }

  /** A line as Kafka has it: its end offset and the admitter group's committed offset, summed over partitions. */
  async lineOffsets(code: string): Promise<{ end: number; committed: number }> {
    const a = await this.kafka.admin();
    const topic = lineTopic(this.prefix, code);
    const ends = await a.fetchTopicOffsets(topic);
    const committed = await a.fetchOffsets({ groupId: this.group, topics: [topic] });
    let end = 0;
    let done = 0;
    for (const p of ends) {
      end += Number(p.high);
      const c = Number(
        committed[0]?.partitions.find((x) => x.partition === p.partition)?.offset ?? -1,
      );
      done += c < 0 ? Number(p.low) : c;
    }
    return { end, committed: done };
  }

  /**
   * One autocannon figure: CONNECTIONS connections (unless given) for DURATION s, after a 2 s
   * warm-up of the same requests (JIT, connection pools) that is discarded.
   */
  async cannon(opts: Partial<autocannon.Options> & { url: string }): Promise<autocannon.Result> {
    const base = { connections: CONNECTIONS, pipelining: 1, method: 'POST' as const, ...opts };
    await autocannon({ ...base, duration: 2 });
    return autocannon({ ...base, duration: DURATION });
  }

  /** Rows of coupon_wallet for `code` in the bench's database. */
  async countWallet(code: string): Promise<number> {
    const c = new Client(this.pg(this.db));
    await c.connect();
    try {
      const { rows } = await c.query<{ n: string }>(
        'SELECT count(*) AS n FROM coupon_wallet WHERE coupon_code = $1',
        [code],
      );
      return Number(rows[0].n);
    } finally {
      await c.end();
    }
  }
}

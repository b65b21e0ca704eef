import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Admin, Kafka, logLevel, Producer } from 'kafkajs';
import Redis from 'ioredis';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createHttpApp } from '@app/common';
import { Env, loadEnv } from '@app/config';
import { lineTopic, PULSE_SCRIPT, pulseGapMs, RedisKeys, TicketRecord } from '@app/queue';
import { createRedis } from '@app/redis';
import { AdmitterModule } from '../../apps/admitter/src/app.module';
import { AdmissionService } from '../../apps/admitter/src/admission/admission.service';
import { AdmitterOptions } from '../../apps/admitter/src/admission/admitter.options';

import { waitFor } from './common';

export { waitFor };

/** Own topic prefix, group and Redis prefix per test file: parallel runs never collide. */
export function admitterTestEnv(overrides: Record<string, string> = {}): Env {
  const id = randomBytes(4).toString('hex');
  return loadEnv({
    ...process.env,
    KAFKA_TOPIC_PREFIX: `t.adm.${id}.`,
    ADMITTER_GROUP_ID: `t-adm-${id}`,
    REDIS_KEY_PREFIX: `t:adm:${id}:`,
    ...overrides,
  });
}

/** Short intervals so hand-overs and discovery happen within a test's time. */
export const fastOptions: Partial<AdmitterOptions> = {
  discoveryIntervalMs: 300,
  sessionTimeoutMs: 6000,
  heartbeatIntervalMs: 300,
};

export interface AdmitterHandle {
  app: NestFastifyApplication;
  service: AdmissionService;
  close(): Promise<void>;
}

/** Builds the admitter app in-process, exactly as main.ts does (without listening). */
export async function startAdmitter(
  env: Env,
  options: Partial<AdmitterOptions> = {},
): Promise<AdmitterHandle> {
  const app = await createHttpApp(AdmitterModule.forRoot(env, { ...fastOptions, ...options }), {
    title: 'Admitter',
    description: 'test',
    swagger: false,
  });
  let closed = false;
  return {
    app,
    service: app.get(AdmissionService),
    close: async () => {
      if (closed) return;
      closed = true;
      await app.close();
    },
  };
}

export interface AdmitterProcess {
  child: ChildProcess;
  /** Resolves with the exit signal (or code) once the process is gone. */
  exited: Promise<string>;
  /** What the process wrote to stderr (for failure messages). */
  stderr(): string;
}

/** Starts a real admitter process (main.ts from source), with default options, to be killed by a test. */
export function spawnAdmitter(env: Env): AdmitterProcess {
  const vars: Record<string, string> = { ...(process.env as Record<string, string>) };
  for (const [k, v] of Object.entries(env)) vars[k] = String(v);
  vars.ADMITTER_HTTP_PORT = '0';
  const child = spawn(process.execPath, [join(__dirname, 'admitter-child.js')], {
    env: vars,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr?.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
  const exited = new Promise<string>((resolve) =>
    child.once('exit', (code, signal) => resolve(signal ?? String(code))),
  );
  return { child, exited, stderr: () => err };
}

export interface Ticket {
  uuid: string;
  userId: string;
  partition: number;
  offset: number;
  /** Broker append time. */
  appendTime: number;
}

/** Test-side Kafka and Redis: creates lines, produces tickets, reads what the admitter did. */
export class AdmitterWorld {
  readonly kafka: Kafka;
  readonly redis: Redis;
  private admin?: Admin;
  private producer?: Producer;
  private readonly topics: string[] = [];
  private heartbeatTimer?: NodeJS.Timeout;
  private readonly beating = new Set<string>();
  private gatewaysSilent = false;

  constructor(readonly env: Env) {
    this.kafka = new Kafka({
      clientId: 'admitter-test',
      brokers: env.KAFKA_BROKERS.split(','),
      logLevel: logLevel.NOTHING,
    });
    // Lazy: a file whose tests are all filtered out never opens (or leaks) a connection.
    this.redis = createRedis(env, { lazyConnect: true });
  }

  async init(): Promise<void> {
    this.admin = this.kafka.admin();
    await this.admin.connect();
    this.producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await this.producer.connect();
    // The gateway refreshes heartbeats of tickets whose holders poll; this stands in for it.
    this.heartbeatTimer = setInterval(() => void this.beat(), 200);
  }

  topic(line: string): string {
    return lineTopic(this.env.KAFKA_TOPIC_PREFIX, line);
  }

  /** Creates a line topic the way the gateway does (LogAppendTime). */
  async createLine(line: string, partitions = 1): Promise<void> {
    const topic = this.topic(line);
    await this.admin!.createTopics({
      waitForLeaders: true,
      topics: [
        {
          topic,
          numPartitions: partitions,
          replicationFactor: 1,
          configEntries: [{ name: 'message.timestamp.type', value: 'LogAppendTime' }],
        },
      ],
    });
    this.topics.push(topic);
  }

  /** Appends one ticket per entry (to the given partition), one request each, in order. */
  async enqueue(
    line: string,
    partitions: number[],
    opts: { heartbeat?: boolean } = {},
  ): Promise<Ticket[]> {
    const out: Ticket[] = [];
    for (const partition of partitions) {
      const uuid = randomUUID();
      const userId = `u-${uuid.slice(0, 8)}`;
      if (opts.heartbeat !== false) await this.startHeartbeat([uuid]);
      const record: TicketRecord = { uuid, line, userId, issuedAt: Date.now() };
      const [meta] = await this.producer!.send({
        topic: this.topic(line),
        acks: -1,
        messages: [{ key: uuid, value: JSON.stringify(record), partition }],
      });
      out.push({
        uuid,
        userId,
        partition,
        offset: Number(meta.baseOffset),
        appendTime: Number(meta.logAppendTime),
      });
    }
    return out;
  }

  /** Appends many tickets to partition 0 in batches (fast); offsets are consecutive from the current end. */
  async enqueueMany(
    line: string,
    count: number,
    opts: { heartbeat?: (i: number) => boolean } = {},
  ): Promise<Ticket[]> {
    const out: Ticket[] = [];
    const batch = 200;
    for (let start = 0; start < count; start += batch) {
      const chunk = Array.from({ length: Math.min(batch, count - start) }, (_, j) => {
        const uuid = randomUUID();
        return { uuid, userId: `u-${uuid.slice(0, 8)}`, i: start + j };
      });
      await this.startHeartbeat(
        chunk.filter((c) => opts.heartbeat?.(c.i) ?? true).map((c) => c.uuid),
      );
      const [meta] = await this.producer!.send({
        topic: this.topic(line),
        acks: -1,
        messages: chunk.map((c) => ({
          key: c.uuid,
          value: JSON.stringify({
            uuid: c.uuid,
            line,
            userId: c.userId,
            issuedAt: Date.now(),
          } satisfies TicketRecord),
          partition: 0,
        })),
      });
      chunk.forEach((c, j) =>
        out.push({
          uuid: c.uuid,
          userId: c.userId,
          partition: 0,
          offset: Number(meta.baseOffset) + j,
          appendTime: Number(meta.logAppendTime),
        }),
      );
    }
    return out;
  }

  async startHeartbeat(uuids: string[]): Promise<void> {
    for (const u of uuids) this.beating.add(u);
    if (uuids.length) await this.beatOnly(uuids);
  }

  stopHeartbeat(uuids: string[]): void {
    for (const u of uuids) this.beating.delete(u);
  }

  async cancel(uuids: string[]): Promise<void> {
    const p = this.redis.pipeline();
    for (const u of uuids) p.hset(RedisKeys.ticket(u), 'cancelled', Date.now());
    await p.exec();
  }

  async setSettings(line: string, settings: Record<string, number>): Promise<void> {
    await this.redis.hset(RedisKeys.lineSettings(line), settings);
  }

  async admissions(
    line: string,
  ): Promise<{ uuid: string; partition: number; offset: number; at: number }[]> {
    const entries = await this.redis.xrange(RedisKeys.lineAdmissions(line), '-', '+');
    return entries.map(([, fields]) => {
      const f: Record<string, string> = {};
      for (let i = 0; i < fields.length; i += 2) f[fields[i]] = fields[i + 1];
      return {
        uuid: f.uuid,
        partition: Number(f.partition),
        offset: Number(f.offset),
        at: Number(f.at),
      };
    });
  }

  async ticketState(uuid: string): Promise<Record<string, string>> {
    return this.redis.hgetall(RedisKeys.ticket(uuid));
  }

  /** The group's committed offset per partition (-1: none). */
  async committed(line: string): Promise<number[]> {
    const [row] = await this.admin!.fetchOffsets({
      groupId: this.env.ADMITTER_GROUP_ID,
      topics: [this.topic(line)],
    });
    return [...row.partitions]
      .sort((a, b) => a.partition - b.partition)
      .map((p) => Number(p.offset));
  }

  async endOffsets(line: string): Promise<number[]> {
    const rows = await this.admin!.fetchTopicOffsets(this.topic(line));
    return [...rows].sort((a, b) => a.partition - b.partition).map((r) => Number(r.high));
  }

  /** Waits until the committed offsets reach the end offsets of the line. */
  async waitAllDecided(line: string, timeoutMs: number): Promise<void> {
    const end = await this.endOffsets(line);
    await waitFor(
      async () => (await this.committed(line)).every((c, i) => c === end[i]),
      timeoutMs,
      `committed offsets of ${line} to reach ${end.join(',')}`,
    );
  }

  async close(): Promise<void> {
    clearInterval(this.heartbeatTimer);
    if (this.topics.length)
      await this.admin?.deleteTopics({ topics: this.topics }).catch(() => undefined);
    await this.admin?.deleteGroups([this.env.ADMITTER_GROUP_ID]).catch(() => undefined);
    await this.admin?.disconnect();
    await this.producer?.disconnect();
    const stream = this.redis.scanStream({ match: `${this.env.REDIS_KEY_PREFIX}*`, count: 500 });
    for await (const keys of stream as AsyncIterable<string[]>) {
      // scan returns full names; the client would prefix again, so strip it.
      if (keys.length)
        await this.redis.del(...keys.map((k) => k.slice(this.env.REDIS_KEY_PREFIX.length)));
    }
    await this.redis.quit();
  }

  /** Like every gateway going quiet: no heartbeats and no pulse reach Redis until {@link resumeGateways}. */
  silenceGateways(): void {
    this.gatewaysSilent = true;
  }

  resumeGateways(): void {
    this.gatewaysSilent = false;
  }

  private async beat(): Promise<void> {
    await this.beatOnly([...this.beating]).catch(() => undefined);
  }

  /** Heartbeats of `uuids` and the gateways' pulse, as a gateway's flush writes them. */
  private async beatOnly(uuids: string[]): Promise<void> {
    if (this.gatewaysSilent) return;
    const now = Date.now();
    const p = this.redis.pipeline();
    for (const u of uuids) p.hset(RedisKeys.ticket(u), 'hb', now);
    p.eval(PULSE_SCRIPT, 1, RedisKeys.pulse(), now, pulseGapMs(this.env.ABANDON_AFTER_SECONDS));
    await p.exec();
  }
}

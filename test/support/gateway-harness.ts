// Harness for the gateway's integration and e2e tests: a gateway built from
// GatewayModule (the same createHttpApp as main.ts) with its own random Kafka
// topic prefix, admitter group id and Redis key prefix, in front of a small
// fake coupon microservice that is a real TCP peer (@nestjs/microservices).
import { Controller, DynamicModule, INestMicroservice, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { MessagePattern, Payload, Transport } from '@nestjs/microservices';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { createHttpApp } from '@app/common';
import { Env, loadEnv } from '@app/config';
import { CouponPatterns, CouponView, IssueCouponCommand, IssueCouponResult } from '@app/contracts';
import { KafkaClient } from '@app/kafka';
import { REDIS } from '@app/redis';
import { GatewayModule } from '../../apps/queue-gateway/src/app.module';
import request from 'supertest';
import { freePort, randomName, waitFor } from './common';

export { freePort, randomName, waitFor } from './common';

/** In-memory coupon service state; tests change it directly. */
export class FakeCoupons {
  readonly coupons = new Map<string, CouponView>();
  readonly issued = new Map<string, Set<string>>();
  readonly calls: IssueCouponCommand[] = [];
  /** While set, issue requests wait for it (an issue in flight, for as long as a test needs). */
  gate?: Promise<void>;
  /** Issue requests received, including those waiting at the gate. */
  readonly received: IssueCouponCommand[] = [];

  constructor(initial: Array<Pick<CouponView, 'code' | 'quantity'>>) {
    for (const c of initial) {
      this.coupons.set(c.code, {
        code: c.code,
        name: c.code,
        discount: 1000,
        quantity: c.quantity,
        remaining: c.quantity,
      });
    }
  }

  issue(cmd: IssueCouponCommand): IssueCouponResult {
    this.calls.push(cmd);
    const coupon = this.coupons.get(cmd.code);
    if (!coupon) return { outcome: 'unknown_coupon', couponCode: cmd.code };
    const users = this.issued.get(cmd.code) ?? new Set<string>();
    this.issued.set(cmd.code, users);
    if (users.has(cmd.userId))
      return { outcome: 'already_issued', couponCode: cmd.code, userId: cmd.userId };
    if (coupon.remaining <= 0) return { outcome: 'sold_out', couponCode: cmd.code };
    users.add(cmd.userId);
    coupon.remaining -= 1;
    return {
      outcome: 'issued',
      walletId: randomUUID(),
      couponCode: cmd.code,
      userId: cmd.userId,
      issuedAt: new Date().toISOString(),
    };
  }
}

function fakeCouponModule(state: FakeCoupons): DynamicModule {
  @Controller()
  class FakeCouponController {
    @MessagePattern(CouponPatterns.list)
    list(): CouponView[] {
      return [...state.coupons.values()].map((c) => ({ ...c }));
    }

    @MessagePattern(CouponPatterns.issue)
    async issue(
      @Payload() { auth: _auth, ...cmd }: IssueCouponCommand & { auth?: string },
    ): Promise<IssueCouponResult> {
      state.received.push(cmd);
      if (state.gate) await state.gate;
      return state.issue(cmd);
    }

    @MessagePattern(CouponPatterns.wallet)
    wallet(): [] {
      return [];
    }

    @MessagePattern(CouponPatterns.health)
    health() {
      return { postgres: 'up', redis: 'up' };
    }
  }

  @Module({ controllers: [FakeCouponController] })
  class FakeCouponModule {}
  return { module: FakeCouponModule };
}

export interface FakeCouponService {
  port: number;
  state: FakeCoupons;
  close(): Promise<void>;
}

export async function startFakeCouponService(
  coupons: Array<Pick<CouponView, 'code' | 'quantity'>>,
): Promise<FakeCouponService> {
  const state = new FakeCoupons(coupons);
  const port = await freePort();
  const app: INestMicroservice = await NestFactory.createMicroservice(fakeCouponModule(state), {
    transport: Transport.TCP,
    options: { host: '127.0.0.1', port },
    logger: false,
  });
  await app.listen();
  return { port, state, close: () => app.close() };
}

/** An Env for one test file: random Kafka and Redis names, the rest from .env. */
export function gatewayEnv(overrides: Record<string, string> = {}): Env {
  return loadEnv({
    ...process.env,
    KAFKA_TOPIC_PREFIX: randomName('test.gw.'),
    ADMITTER_GROUP_ID: randomName('test-gw-admitter-'),
    REDIS_KEY_PREFIX: randomName('test:gw:') + ':',
    KAFKA_CLIENT_ID: randomName('test-gw-'),
    VIEW_REFRESH_MS: '50',
    ...overrides,
  });
}

/** Deletes every line topic under a test's topic prefix (the gateway opens a line per known coupon). */
export async function dropKafkaPrefix(
  admin: { listTopics(): Promise<string[]>; deleteTopics(o: { topics: string[] }): Promise<void> },
  prefix: string,
): Promise<void> {
  const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
  if (topics.length > 0) await admin.deleteTopics({ topics }).catch(() => undefined);
}

/** Deletes every key under a test's Redis prefix (the client adds the prefix to the arguments). */
export async function dropRedisPrefix(redis: Redis, prefix: string): Promise<void> {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys.map((k) => k.slice(prefix.length)));
}

/**
 * Removes what a test's gateway and admitter left in Kafka (its line topics,
 * the admitter group) and Redis (every key under its prefix).
 */
export async function dropGatewayState(app: NestFastifyApplication, env: Env): Promise<void> {
  const admin = await app.get(KafkaClient).admin();
  await dropKafkaPrefix(admin, env.KAFKA_TOPIC_PREFIX).catch(() => undefined);
  await admin.deleteGroups([env.ADMITTER_GROUP_ID]).catch(() => undefined);
  await dropRedisPrefix(app.get(REDIS), env.REDIS_KEY_PREFIX);
}

export async function startGateway(env: Env): Promise<NestFastifyApplication> {
  return createHttpApp(GatewayModule.forRoot(env), {
    title: 'gateway under test',
    description: 'test',
  });
}

/**
 * A first request on a gateway, retried on 503 + Retry-After the way a client
 * does (a line's topic may still be being made, or a gateway may be loading it).
 * Any other answer is returned as it is.
 */
export function joinLine(
  app: NestFastifyApplication,
  line: string,
  body: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<request.Response> {
  return waitFor(
    async () => {
      const res = await request(app.getHttpServer())
        .post(`/api/coupons/${line}/issue`)
        .set(headers)
        .send(body);
      return res.status === 503 ? false : res;
    },
    20_000,
    `an answer other than 503 to a first request on ${line}`,
    200,
  );
}

/** A fake coupon service and gateways on one environment, ready (catalogue loaded), and how to end them. */
export interface GatewayCluster {
  coupons: FakeCouponService;
  env: Env;
  apps: NestFastifyApplication[];
  /** Drops the run's Kafka topics, consumer group and Redis keys, closes the gateways and the coupon service. */
  close(): Promise<void>;
}

export async function startGatewayCluster(
  lines: Array<Pick<CouponView, 'code' | 'quantity'>>,
  overrides: Record<string, string> = {},
  gateways = 1,
): Promise<GatewayCluster> {
  const coupons = await startFakeCouponService(lines);
  const env = gatewayEnv({ COUPON_SERVICE_PORT: String(coupons.port), ...overrides });
  const apps: NestFastifyApplication[] = [];
  for (let i = 0; i < gateways; i++) apps.push(await startGateway(env));
  await waitFor(
    async () => (await request(apps[0]!.getHttpServer()).get('/api/coupons')).status === 200,
    10_000,
    'catalogue',
  );
  return {
    coupons,
    env,
    apps,
    async close() {
      await dropGatewayState(apps[0]!, env);
      for (const app of apps) await app.close();
      await coupons.close();
    },
  };
}

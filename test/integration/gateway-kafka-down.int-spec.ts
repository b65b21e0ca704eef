// Kafka goes away under a running gateway (a private broker, killed and
// restarted on the same data dir and ports): first requests get 503 +
// Retry-After and nothing is written, polls keep answering from the cached
// view, and enqueueing works again after the restart without restarting the gateway.
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { Env } from '@app/config';
import { REDIS } from '@app/redis';
import { KafkaClient, TicketLog } from '@app/kafka';
import { lineTopic } from '@app/queue';
import {
  dropRedisPrefix,
  FakeCouponService,
  gatewayEnv,
  startFakeCouponService,
  startGateway,
  waitFor,
} from '../support/gateway-harness';
import { KafkaBroker } from '../support/kafka-broker';

jest.setTimeout(120_000);

const LINE = 'A0001';

describe('queue gateway when Kafka is down', () => {
  let broker: KafkaBroker;
  let coupons: FakeCouponService;
  let env: Env;
  let app: NestFastifyApplication;
  const http = () => request(app.getHttpServer());
  const enqueue = (userId: string) => http().post(`/api/coupons/${LINE}/issue`).send({ userId });
  const endOffset = async () => {
    const admin = await app.get(KafkaClient).admin();
    const [p] = await admin.fetchTopicOffsets(lineTopic(env.KAFKA_TOPIC_PREFIX, LINE));
    return Number(p.high);
  };

  beforeAll(async () => {
    broker = await KafkaBroker.create();
    await broker.start();
    coupons = await startFakeCouponService([{ code: LINE, quantity: 100 }]);
    env = gatewayEnv({ KAFKA_BROKERS: broker.brokers, COUPON_SERVICE_PORT: String(coupons.port) });
    app = await startGateway(env);
  });

  afterAll(async () => {
    if (app) await dropRedisPrefix(app.get(REDIS), env.REDIS_KEY_PREFIX);
    await app?.close();
    await coupons?.close();
    await broker?.destroy();
  });

  it('answers 503 + Retry-After without writing, keeps polls alive, and recovers without a restart', async () => {
    const alice = await waitFor(
      async () => {
        const res = await enqueue('alice');
        return res.status === 307 ? res : false;
      },
      30_000,
      'first enqueue on the fresh broker',
      200,
    );
    expect(alice.body).toMatchObject({ partition: 0, offset: 0, endOffset: 1, ahead: 0 });

    await broker.kill();
    // Still ready: it answers waiters from its view (Kafka's absence is a dependency's).
    expect((await http().get('/health/ready')).status).toBe(200);
    const deps = await http().get('/health/dependencies');
    expect(deps.status).toBe(503);
    expect(deps.body.details.kafka.status).toBe('down');

    const refused = await Promise.all(['bob', 'carol', 'dave'].map((u) => enqueue(u)));
    for (const res of refused) {
      expect(res.status).toBe(503);
      expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(res.body).toMatchObject({ statusCode: 503, error: 'SERVICE_UNAVAILABLE' });
      expect(res.headers['x-queue-ticket']).toBeUndefined();
    }

    // Polls of an existing ticket answer from the cached view.
    const poll = await http()
      .post(`/api/coupons/${LINE}/issue`)
      .set('X-Queue-Ticket', alice.body.ticket)
      .send({ userId: 'alice' });
    expect(poll.status).toBe(307);
    expect(poll.body).toMatchObject({
      uuid: alice.body.uuid,
      offset: 0,
      committedOffset: 0,
      endOffset: 1,
    });
    const status = await http()
      .get(`/api/queue/tickets/${alice.body.uuid}`)
      .set('X-Queue-Ticket', alice.body.ticket);
    expect(status.status).toBe(200);
    expect(status.body.status).toBe('waiting');

    // Every refused record has been given up before the broker comes back.
    const log = app.get(TicketLog);
    await waitFor(() => log.inFlight === 0, 30_000, 'refused appends to settle');

    await broker.start();
    const erin = await waitFor(
      async () => {
        const res = await enqueue('erin');
        return res.status === 307 ? res : false;
      },
      60_000,
      'enqueue after the broker restarted',
      250,
    );
    // Nothing of bob, carol or dave was written: erin is right behind alice.
    expect(erin.body).toMatchObject({ partition: 0, offset: 1, endOffset: 2, ahead: 1 });
    expect(await endOffset()).toBe(2);
    const again = await http()
      .post(`/api/coupons/${LINE}/issue`)
      .set('X-Queue-Ticket', alice.body.ticket)
      .send({ userId: 'alice' });
    expect(again.status).toBe(307);
    expect(again.body.behind).toBe(1);
  });

  it('a gateway started while Kafka is down is not ready, and becomes ready once it is back, without a restart', async () => {
    await broker.kill();
    const late = await startGateway(
      gatewayEnv({ KAFKA_BROKERS: broker.brokers, COUPON_SERVICE_PORT: String(coupons.port) }),
    );
    try {
      const h = () => request(late.getHttpServer());
      const unready = await waitFor(
        async () => {
          const r = await h().get('/health/ready');
          return /line offsets/.test(JSON.stringify(r.body)) ? r : undefined;
        },
        30_000,
        'the catalogue loaded and the lines waiting for Kafka',
        250,
      );
      expect(unready.status).toBe(503);
      await broker.start();
      await waitFor(
        async () => (await h().get('/health/ready')).status === 200,
        60_000,
        'readiness after the broker came back',
        250,
      );
    } finally {
      await late.close();
    }
  });
});

import { UnavailableError } from '@app/common/errors';
import { loadEnv } from '@app/config';
import type { KafkaClient } from './kafka.client';
import {
  APPEND_TIMEOUT_MS,
  ARRIVAL_HEADER,
  assignOffsets,
  parseArrival,
  TicketLog,
} from './ticket-log';
import { ewma } from './offsets-view';

describe('assignOffsets', () => {
  it('numbers each partition from its base offset, in send order, across topics', () => {
    const messages = [
      { topic: 'a', partition: 0 },
      { topic: 'a', partition: 1 },
      { topic: 'b', partition: 0 },
      { topic: 'a', partition: 0 },
      { topic: 'a', partition: 1 },
      { topic: 'a', partition: 0 },
    ];
    const metadata = [
      { topicName: 'a', partition: 0, errorCode: 0, baseOffset: '100' },
      { topicName: 'a', partition: 1, errorCode: 0, baseOffset: '7' },
      { topicName: 'b', partition: 0, errorCode: 0, baseOffset: '0' },
    ];
    expect(assignOffsets(messages, metadata)).toEqual([100, 7, 0, 101, 8, 102]);
  });

  it('refuses to guess when a partition was not acknowledged', () => {
    expect(() => assignOffsets([{ topic: 'a', partition: 2 }], [])).toThrow('did not acknowledge');
    expect(() =>
      assignOffsets(
        [{ topic: 'a', partition: 0 }],
        [{ topicName: 'a', partition: 0, errorCode: 6, baseOffset: '1' }],
      ),
    ).toThrow('no base offset');
  });
});

describe('ewma', () => {
  it('starts at the first sample and moves toward new ones by 1 - e^(-dt/tau)', () => {
    expect(ewma(null, 40, 0.2)).toBe(40);
    expect(ewma(10, 20, 5, 5)).toBeCloseTo(10 + 10 * (1 - Math.exp(-1)));
    expect(ewma(10, 20, 1000, 5)).toBeCloseTo(20);
  });
});

/** A fake producer that records every sendBatch and answers base offsets per partition. */
function fakeKafka(behaviour: { fail?: boolean; hang?: boolean } = {}) {
  const sent: { topic: string; partition: number; key: string; arrival?: string }[][] = [];
  const next = new Map<string, number>();
  const producer = {
    connect: jest.fn(async () => undefined),
    disconnect: jest.fn(async () => undefined),
    sendBatch: jest.fn(
      async ({
        topicMessages,
      }: {
        topicMessages: {
          topic: string;
          messages: { key: string; partition: number; headers?: Record<string, string> }[];
        }[];
      }) => {
        if (behaviour.hang) await new Promise(() => undefined);
        if (behaviour.fail) throw new Error('broker down');
        const batch = topicMessages.flatMap((t) =>
          t.messages.map((m) => ({
            topic: t.topic,
            partition: m.partition,
            key: m.key,
            arrival: m.headers?.[ARRIVAL_HEADER],
          })),
        );
        sent.push(batch);
        const bases = new Map<
          string,
          { topicName: string; partition: number; errorCode: number; baseOffset: string }
        >();
        for (const m of batch) {
          const k = `${m.topic}/${m.partition}`;
          if (!bases.has(k))
            bases.set(k, {
              topicName: m.topic,
              partition: m.partition,
              errorCode: 0,
              baseOffset: String(next.get(k) ?? 0),
            });
          next.set(k, (next.get(k) ?? 0) + 1);
        }
        return [...bases.values()];
      },
    ),
  };
  const admin = {
    createTopics: jest.fn(async () => true),
    fetchTopicMetadata: jest.fn(async () => ({
      topics: [{ partitions: [{ replicas: [1] }, { replicas: [1] }] }],
    })),
    describeConfigs: jest.fn(async () => ({
      resources: [{ configEntries: [{ configName: 'min.insync.replicas', configValue: '1' }] }],
    })),
  };
  const client = {
    kafka: { producer: jest.fn(() => producer) },
    admin: async () => admin,
  } as unknown as KafkaClient;
  return { client, producer, admin, sent };
}

const env = loadEnv({
  TICKET_SECRET: 'a'.repeat(32),
  ADMIN_TOKEN: 'x'.repeat(16),
  COUPON_SERVICE_TOKEN: 'c'.repeat(16),
  ENQUEUE_LINGER_MS: '5',
  ENQUEUE_MAX_BATCH: '3',
});

describe('TicketLog', () => {
  afterEach(() => jest.useRealTimers());

  it('batches concurrent appends, one partition per batch (round robin), each caller its own offset', async () => {
    const { client, sent, admin } = fakeKafka();
    const log = new TicketLog(client, env);
    const results = await Promise.all(
      ['k0', 'k1', 'k2', 'k3', 'k4'].map((key) => log.append({ topic: 't', key, value: '{}' })),
    );
    // Max batch 3: the first three go together, the rest in the next batch.
    expect(sent.map((b) => b.map((m) => m.key))).toEqual([
      ['k0', 'k1', 'k2'],
      ['k3', 'k4'],
    ]);
    // Each batch on one partition, in arrival order: offsets are the arrival order.
    expect(results).toEqual([
      { partition: 0, offset: 0 },
      { partition: 0, offset: 1 },
      { partition: 0, offset: 2 },
      { partition: 1, offset: 0 },
      { partition: 1, offset: 1 },
    ]);
    // Every record names its batch: one header value per batch, batch numbers rising.
    const arrivals = sent.map((b) => new Set(b.map((m) => m.arrival)));
    expect(arrivals.map((a) => a.size)).toEqual([1, 1]);
    const [first, second] = sent.map((b) => parseArrival(b[0]!.arrival)!);
    expect(first.gateway).toBe(second.gateway);
    expect(second.batch).toBe(first.batch + 1);
    expect(second.sentAt).toBeGreaterThanOrEqual(first.sentAt);
    expect(admin.createTopics).toHaveBeenCalledTimes(1);
    expect(admin.createTopics.mock.calls[0]).toMatchObject([
      {
        topics: [
          {
            topic: 't',
            replicationFactor: 1,
            configEntries: [
              { name: 'message.timestamp.type', value: 'LogAppendTime' },
              { name: 'min.insync.replicas', value: '1' },
            ],
          },
        ],
      },
    ]);
    expect(log.inFlight).toBe(0);
  });

  it('refuses to answer a ticket on a line topic with fewer replicas or a lower min.insync.replicas than configured', async () => {
    const strict = loadEnv({
      TICKET_SECRET: 'a'.repeat(32),
      ADMIN_TOKEN: 'x'.repeat(16),
      COUPON_SERVICE_TOKEN: 'c'.repeat(16),
      LINE_REPLICATION_FACTOR: '3',
      LINE_MIN_INSYNC_REPLICAS: '2',
    });
    const few = fakeKafka();
    await expect(
      new TicketLog(few.client, strict).append({ topic: 't', key: 'k', value: '{}' }),
    ).rejects.toMatchObject({
      status: 503,
      message: expect.stringMatching(/1 replica\(s\), fewer than LINE_REPLICATION_FACTOR=3/),
    });
    expect(few.sent).toHaveLength(0);

    const lowIsr = fakeKafka();
    lowIsr.admin.fetchTopicMetadata.mockResolvedValue({
      topics: [{ partitions: [{ replicas: [1, 2, 3] }, { replicas: [1, 2, 3] }] }],
    });
    await expect(
      new TicketLog(lowIsr.client, strict).append({ topic: 't', key: 'k', value: '{}' }),
    ).rejects.toMatchObject({
      status: 503,
      message: expect.stringMatching(/min.insync.replicas=1, below LINE_MIN_INSYNC_REPLICAS=2/),
    });
    expect(lowIsr.sent).toHaveLength(0);
  });

  it('fails every caller of a failed batch with 503 and replaces the producer', async () => {
    const fake = fakeKafka({ fail: true });
    const log = new TicketLog(fake.client, env);
    await expect(log.append({ topic: 't', key: 'k', value: '{}' })).rejects.toBeInstanceOf(
      UnavailableError,
    );
    expect(fake.producer.disconnect).toHaveBeenCalled();
    await expect(log.append({ topic: 't', key: 'k', value: '{}' })).rejects.toMatchObject({
      status: 503,
    });
    expect(fake.client.kafka.producer).toHaveBeenCalledTimes(2);
  });

  it('times out with 503 and never sends a record whose caller already gave up', async () => {
    const fake = fakeKafka({ hang: true });
    const log = new TicketLog(
      fake.client,
      Object.assign(Object.create(env), { ENQUEUE_MAX_BATCH: 1 }),
    );
    await log.ensureTopic('t');
    jest.useFakeTimers();
    const first = log.append({ topic: 't', key: 'first', value: '{}' });
    const second = log.append({ topic: 't', key: 'second', value: '{}' });
    const outcomes = Promise.allSettled([first, second]);
    await jest.advanceTimersByTimeAsync(APPEND_TIMEOUT_MS + 1);
    const [a, b] = await outcomes;
    expect(a).toMatchObject({ status: 'rejected', reason: { status: 503 } });
    expect(b).toMatchObject({ status: 'rejected', reason: { status: 503 } });
    // Only the first reached the (hung) producer; the second was dropped unsent.
    expect(fake.producer.sendBatch).toHaveBeenCalledTimes(1);
    expect(
      fake.producer.sendBatch.mock.calls[0][0].topicMessages[0].messages.map(
        (m: { key: string }) => m.key,
      ),
    ).toEqual(['first']);
    // The stuck send is abandoned in bounded time and its producer replaced.
    await jest.advanceTimersByTimeAsync(2 * APPEND_TIMEOUT_MS);
    expect(log.inFlight).toBe(0);
    expect(fake.producer.disconnect).toHaveBeenCalled();
  });
});

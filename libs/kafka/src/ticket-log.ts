import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { ConfigResourceTypes, type Producer, type RecordMetadata } from 'kafkajs';
import { UnavailableError } from '@app/common/errors';
import { withTimeout } from '@app/common/timeout';
import { Env } from '@app/config';
import { KafkaClient } from './kafka.client';

/** One record to append to a line topic. */
export interface LogMessage {
  topic: string;
  key: string;
  value: string;
  /** Extra record headers (the ticket log adds ARRIVAL_HEADER itself). */
  headers?: Record<string, string>;
}

/** Where Kafka wrote a record (acked by all in-sync replicas). */
export interface LogPosition {
  partition: number;
  offset: number;
}

/** How long an append may take, end to end, before the caller is told 503. */
export const APPEND_TIMEOUT_MS = 5000;

/** Most records waiting for a produce (queued, not in flight): beyond it an append is a 503 at once. */
export const APPEND_QUEUE_MAX = 50_000;

/**
 * Record header naming the produce batch a record came in:
 * `<sentAt epoch ms>:<gateway instance>:<batch number>`. Every record of one
 * batch of one line goes to one partition, in arrival order, so within a
 * batch the offsets are the arrival order; across partitions the admitter
 * orders by broker append time, and two batches of one gateway appended in
 * the same millisecond by this header (see line-merge.ts).
 */
export const ARRIVAL_HEADER = 'wr-arrival';

/** The parsed {@link ARRIVAL_HEADER}; undefined when absent or malformed. */
export function parseArrival(
  header: string | undefined,
): { sentAt: number; gateway: string; batch: number } | undefined {
  const m = header ? /^(\d+):([\w-]+):(\d+)$/.exec(header) : null;
  return m ? { sentAt: Number(m[1]), gateway: m[2]!, batch: Number(m[3]) } : undefined;
}

/**
 * The offset of every message of one produce batch. Kafka answers one base
 * offset per topic-partition; the messages of a partition were written in the
 * order they were sent, so the n-th of them sits at baseOffset + n.
 */
export function assignOffsets(
  messages: ReadonlyArray<{ topic: string; partition: number }>,
  metadata: ReadonlyArray<
    Pick<RecordMetadata, 'topicName' | 'partition' | 'baseOffset' | 'offset' | 'errorCode'>
  >,
): number[] {
  const base = new Map<string, number>();
  for (const m of metadata) {
    const raw = m.baseOffset ?? m.offset;
    if (m.errorCode !== 0 || raw === undefined)
      throw new Error(`no base offset for ${m.topicName}/${m.partition}`);
    base.set(`${m.topicName}\u0000${m.partition}`, Number(raw));
  }
  const seen = new Map<string, number>();
  return messages.map(({ topic, partition }) => {
    const k = `${topic}\u0000${partition}`;
    const b = base.get(k);
    if (b === undefined) throw new Error(`Kafka did not acknowledge ${topic}/${partition}`);
    const n = seen.get(k) ?? 0;
    seen.set(k, n + 1);
    return b + n;
  });
}

interface Pending {
  msg: LogMessage & { partition?: number };
  settled: boolean;
  timer: NodeJS.Timeout;
  resolve(position: LogPosition): void;
  reject(error: Error): void;
}

/**
 * The ticket log: appends ticket records to line topics through a
 * micro-batcher over one idempotent producer (acks=all). Requests arriving
 * within ENQUEUE_LINGER_MS (or while a batch is in flight) share one
 * sendBatch of at most ENQUEUE_MAX_BATCH records; each caller learns its own
 * partition and offset only after Kafka acknowledged the batch.
 *
 * Failure semantics (invariant 4: never a ticket Kafka did not write):
 * - an append that has not been acked within {@link APPEND_TIMEOUT_MS} is
 *   rejected with 503, and if it had not been sent yet it never will be;
 * - this class owns its producer, with BOUNDED retries (the shared one retries
 *   forever, so a send queued during an outage would land after recovery for a
 *   request long answered 503), and replaces it after a failed send, so a new
 *   producer id starts clean sequence numbers.
 * A record that was in flight when its caller got a 503 may still have been
 * written: nobody holds its ticket, so it never heartbeats and the admitter
 * skips it as abandoned without spending capacity.
 */
@Injectable()
export class TicketLog implements OnApplicationShutdown {
  private readonly logger = new Logger('TicketLog');
  private readonly topics = new Map<string, Promise<number>>();
  private readonly roundRobin = new Map<string, number>();
  private queue: Pending[] = [];
  private lingerTimer?: NodeJS.Timeout;
  private flushing?: Promise<void>;
  private producerPromise?: Promise<Producer>;
  private sending = 0;
  private closed = false;
  private readonly partitionCounts = new Map<string, number>();
  /** This process among the gateways, and its batch counter (ARRIVAL_HEADER). */
  private readonly instance = randomUUID().slice(0, 8);
  private batchNo = 0;
  /** Observer of every acked batch (metrics). */
  onBatch?: (size: number, seconds: number) => void;
  /** Called with the size of every produce batch that failed (its callers are told 503). */
  onBatchFailed?: (size: number) => void;

  constructor(
    private readonly kafka: KafkaClient,
    private readonly env: Env,
  ) {}

  /** Records accepted but not yet acked or failed (queued or in flight). */
  get inFlight(): number {
    return this.queue.length + this.sending;
  }

  /**
   * Creates the topic on first use (idempotent; remembered) with
   * LINE_PARTITIONS partitions and broker-side append timestamps, and returns
   * its partition count.
   */
  ensureTopic(topic: string): Promise<number> {
    let known = this.topics.get(topic);
    if (!known) {
      known = withTimeout(this.createTopic(topic), APPEND_TIMEOUT_MS, `creating topic ${topic}`);
      known.catch(() => this.topics.delete(topic));
      this.topics.set(topic, known);
    }
    return known;
  }

  /** Appends one record (its batch's partition chosen round robin) and resolves once Kafka acked it. */
  async append(message: LogMessage): Promise<LogPosition> {
    if (this.closed) throw new UnavailableError('The gateway is shutting down', 1);
    try {
      this.partitionCounts.set(message.topic, await this.ensureTopic(message.topic));
    } catch (error) {
      throw this.unavailable(error);
    }
    if (this.queue.length >= APPEND_QUEUE_MAX) {
      throw new UnavailableError('Too many tickets are waiting to be written; try again', 1);
    }
    return new Promise<LogPosition>((resolve, reject) => {
      const pending: Pending = {
        msg: { ...message },
        settled: false,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.settle(
            pending,
            new UnavailableError('Kafka did not acknowledge the ticket in time', 2),
          );
        }, APPEND_TIMEOUT_MS),
      };
      this.queue.push(pending);
      this.schedule();
    });
  }

  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    clearTimeout(this.lingerTimer);
    await this.flush();
    const producer = await this.producerPromise?.catch(() => undefined);
    await producer?.disconnect().catch(() => undefined);
  }

  private schedule(): void {
    if (this.flushing) return; // the running flush picks the new record up
    if (this.queue.length >= this.env.ENQUEUE_MAX_BATCH || this.env.ENQUEUE_LINGER_MS === 0) {
      void this.flush();
    } else {
      this.lingerTimer ??= setTimeout(() => void this.flush(), this.env.ENQUEUE_LINGER_MS);
    }
  }

  private flush(): Promise<void> {
    clearTimeout(this.lingerTimer);
    this.lingerTimer = undefined;
    if (!this.flushing) {
      // Assigned before the loop starts, so its `finally` always clears this very promise.
      let done!: () => void;
      this.flushing = new Promise<void>((resolve) => (done = resolve));
      void this.drain().finally(() => {
        this.flushing = undefined;
        done();
      });
    }
    return this.flushing;
  }

  /** One batch at a time: what queues up meanwhile forms the next batch. */
  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.env.ENQUEUE_MAX_BATCH).filter((p) => !p.settled);
      if (batch.length > 0) await this.send(batch);
    }
  }

  private async send(batch: Pending[]): Promise<void> {
    this.sending = batch.length;
    const started = process.hrtime.bigint();
    try {
      const producer = await this.producer();
      // One partition per line per batch (round robin over batches), so the
      // batch's offsets are its arrival order.
      const headers = { [ARRIVAL_HEADER]: `${Date.now()}:${this.instance}:${++this.batchNo}` };
      const partitionOf = new Map<string, number>();
      const byTopic = new Map<
        string,
        { key: string; value: string; partition: number; headers: Record<string, string> }[]
      >();
      for (const { msg } of batch) {
        let partition = partitionOf.get(msg.topic);
        if (partition === undefined) {
          partition = this.roundRobin.get(msg.topic) ?? 0;
          this.roundRobin.set(
            msg.topic,
            (partition + 1) % (this.partitionCounts.get(msg.topic) ?? 1),
          );
          partitionOf.set(msg.topic, partition);
        }
        msg.partition = partition;
        const list = byTopic.get(msg.topic) ?? [];
        list.push({
          key: msg.key,
          value: msg.value,
          partition,
          headers: msg.headers ? { ...msg.headers, ...headers } : headers,
        });
        byTopic.set(msg.topic, list);
      }
      // Bounded even if the client never answers, so one stuck send cannot block every later batch.
      const metadata = await withTimeout(
        producer.sendBatch({
          acks: -1,
          timeout: APPEND_TIMEOUT_MS,
          topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
        }),
        2 * APPEND_TIMEOUT_MS,
        'produce',
      );
      const placed = batch.map((p) => ({ topic: p.msg.topic, partition: p.msg.partition! }));
      const offsets = assignOffsets(placed, metadata);
      batch.forEach((p, i) =>
        this.settle(p, { partition: placed[i]!.partition, offset: offsets[i] }),
      );
      this.onBatch?.(batch.length, Number(process.hrtime.bigint() - started) / 1e9);
    } catch (error) {
      this.logger.warn(`produce of ${batch.length} ticket(s) failed: ${(error as Error).message}`);
      this.onBatchFailed?.(batch.length);
      this.dropProducer();
      const failure = this.unavailable(error);
      for (const p of batch) this.settle(p, failure);
    } finally {
      this.sending = 0;
    }
  }

  private settle(p: Pending, outcome: LogPosition | Error): void {
    if (p.settled) return;
    p.settled = true;
    clearTimeout(p.timer);
    if (outcome instanceof Error) p.reject(outcome);
    else p.resolve(outcome);
  }

  private producer(): Promise<Producer> {
    if (!this.producerPromise) {
      const producer = this.kafka.kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
        retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1000 },
      });
      this.producerPromise = producer.connect().then(() => producer);
      this.producerPromise.catch(() => this.dropProducer());
    }
    return this.producerPromise;
  }

  private dropProducer(): void {
    const old = this.producerPromise;
    this.producerPromise = undefined;
    old?.then((p) => p.disconnect()).catch(() => undefined);
  }

  private async createTopic(topic: string): Promise<number> {
    const admin = await this.kafka.admin();
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        {
          topic,
          numPartitions: this.env.LINE_PARTITIONS,
          replicationFactor: this.env.LINE_REPLICATION_FACTOR,
          configEntries: [
            // The admitter merges a line's partitions by broker append time.
            { name: 'message.timestamp.type', value: 'LogAppendTime' },
            // acks=all then means "on at least this many replicas" before a 307 is answered.
            { name: 'min.insync.replicas', value: String(this.env.LINE_MIN_INSYNC_REPLICAS) },
          ],
        },
      ],
    });
    // The topic may predate this process with another partition count, fewer replicas
    // or a lower min.insync.replicas: a 307 must not promise more copies than that.
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
    const partitions = topics[0]?.partitions ?? [];
    const fewest = Math.min(...partitions.map((p) => p.replicas.length));
    if (partitions.length > 0 && fewest < this.env.LINE_REPLICATION_FACTOR) {
      throw new UnavailableError(
        `Line topic ${topic} has ${fewest} replica(s), fewer than LINE_REPLICATION_FACTOR=${this.env.LINE_REPLICATION_FACTOR}`,
        30,
      );
    }
    const minIsr = await this.topicMinInsync(topic);
    if (minIsr < this.env.LINE_MIN_INSYNC_REPLICAS) {
      throw new UnavailableError(
        `Line topic ${topic} has min.insync.replicas=${minIsr}, below LINE_MIN_INSYNC_REPLICAS=${this.env.LINE_MIN_INSYNC_REPLICAS}`,
        30,
      );
    }
    return partitions.length || this.env.LINE_PARTITIONS;
  }

  /** The topic's effective min.insync.replicas (its own setting or the broker's default). */
  private async topicMinInsync(topic: string): Promise<number> {
    const admin = await this.kafka.admin();
    const { resources } = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [
        { type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['min.insync.replicas'] },
      ],
    });
    const entry = resources[0]?.configEntries.find((e) => e.configName === 'min.insync.replicas');
    return Number(entry?.configValue ?? 1);
  }

  private unavailable(error: unknown): UnavailableError {
    return error instanceof UnavailableError
      ? error
      : new UnavailableError(
          `Kafka is unavailable: ${(error as Error)?.message ?? String(error)}`,
          2,
        );
  }
}

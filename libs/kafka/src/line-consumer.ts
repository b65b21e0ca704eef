import { Logger } from '@nestjs/common';
import { Consumer } from 'kafkajs';
import { KafkaClient } from './kafka.client';
import { ARRIVAL_HEADER } from './ticket-log';
import { wholeTopicAssigner } from './whole-topic-assigner';

/** One fetched record, free of kafkajs types. */
export interface LineRecord {
  offset: number;
  /** Broker append time (the line topics use LogAppendTime), epoch ms. */
  timestamp: number;
  key: string | null;
  value: Buffer | null;
  /** The ticket log's ARRIVAL_HEADER, if the record has one. */
  arrival?: string;
}

export interface PartitionOffsets {
  partition: number;
  /** High watermark: the next offset to be written and visible. */
  high: number;
  low: number;
}

export interface LineConsumerHandlers {
  /** Records of one partition, in offset order. Called from the fetch loop: must not block. */
  onRecords(topic: string, partition: number, records: LineRecord[]): void;
  /** A rebalance started or the consumer stopped: drop everything fetched and undecided. */
  onRevoked(): void;
  /** A new generation: these partitions are ours, fetched from their committed offsets. */
  onAssigned(assignment: Record<string, number[]>): void;
}

export interface LineConsumerOptions {
  groupId: string;
  sessionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  /** Longest a fetch waits for data (also bounds how late a rebalance is noticed). */
  maxWaitTimeMs?: number;
  /** Most bytes fetched per partition per request (kafkajs default 1 MiB). */
  maxBytesPerPartition?: number;
}

/**
 * The line consumer port: one kafkajs consumer, manual commits only, every
 * partition of a topic on one member ({@link wholeTopicAssigner}). It does no
 * admission itself: it hands records to the handlers, pauses/resumes
 * partitions on request and commits the offsets it is told to.
 *
 * kafkajs cannot add topics to a running consumer, so {@link setTopics}
 * stops, subscribes and runs again (a rebalance: buffers are dropped and every
 * partition re-read from its committed offset).
 */
export class LineConsumer {
  private readonly logger = new Logger('LineConsumer');
  private readonly consumer: Consumer;
  private readonly topics = new Set<string>();
  private owned: string[] = [];
  private connected = false;
  private running = false;
  private crashed = false;
  private generation = 0;
  /** Serialises start/stop/re-subscribe. */
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly kafka: KafkaClient,
    private readonly options: LineConsumerOptions,
    private readonly handlers: LineConsumerHandlers,
  ) {
    this.consumer = kafka.kafka.consumer({
      groupId: options.groupId,
      partitionAssigners: [wholeTopicAssigner(() => this.owned)],
      sessionTimeout: options.sessionTimeoutMs ?? 10_000,
      rebalanceTimeout: options.sessionTimeoutMs ?? 10_000,
      heartbeatInterval: options.heartbeatIntervalMs ?? 1_000,
      maxWaitTimeInMs: options.maxWaitTimeMs ?? 500,
      maxBytesPerPartition: options.maxBytesPerPartition ?? 1024 * 1024,
      allowAutoTopicCreation: false,
    });
    const { REBALANCING, GROUP_JOIN, CRASH, STOP } = this.consumer.events;
    this.consumer.on(REBALANCING, () => this.revoke());
    this.consumer.on(CRASH, (event) => {
      this.revoke();
      // kafkajs restarts itself after a retriable crash; otherwise the next setTopics must.
      if (!event.payload.restart) this.crashed = true;
      this.logger.error(
        `consumer crashed (restart: ${event.payload.restart}): ${event.payload.error.message}`,
      );
    });
    this.consumer.on(STOP, () => this.revoke());
    this.consumer.on(GROUP_JOIN, (event) => {
      this.revoke();
      const assignment = event.payload.memberAssignment as Record<string, number[]>;
      this.owned = Object.keys(assignment);
      // kafkajs keeps a partition's paused flag across generations; a new generation starts with empty buffers.
      for (const [topic, partitions] of Object.entries(assignment)) {
        this.flow(() => this.consumer.resume([{ topic, partitions }]));
      }
      this.handlers.onAssigned(assignment);
    });
  }

  /** Bumped on every revoke; a caller can tell whether its data is from the current generation. */
  get currentGeneration(): number {
    return this.generation;
  }

  get subscribed(): string[] {
    return [...this.topics];
  }

  /** Fetching, or about to (false before the first run, after a failed run or a fatal crash). */
  get healthy(): boolean {
    return this.running && !this.crashed;
  }

  /** Subscribes to these topics too (never drops one); restarts the consumer if the set grew. */
  setTopics(topics: string[]): Promise<void> {
    return this.serial(async () => {
      const added = topics.filter((t) => !this.topics.has(t));
      // Nothing new and healthy: nothing to do. Not running (a run failed, or a crash): run again.
      if (added.length === 0 && ((this.running && !this.crashed) || this.topics.size === 0)) return;
      if (!this.connected) {
        await this.consumer.connect();
        this.connected = true;
      }
      if (this.running) {
        await this.consumer.stop();
        this.running = false;
        this.crashed = false;
      }
      if (added.length > 0) {
        await this.consumer.subscribe({ topics: added, fromBeginning: true });
        for (const t of added) this.topics.add(t);
      }
      await this.consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: true,
        eachBatch: async ({ batch, isStale }) => {
          if (isStale() || batch.messages.length === 0) return;
          this.handlers.onRecords(
            batch.topic,
            batch.partition,
            batch.messages.map((m) => ({
              offset: Number(m.offset),
              timestamp: Number(m.timestamp),
              key: m.key ? m.key.toString('utf8') : null,
              value: m.value,
              arrival: m.headers?.[ARRIVAL_HEADER]?.toString(),
            })),
          );
        },
      });
      this.running = true;
    });
  }

  /** Stops fetching a partition (its buffer is full). */
  pause(topic: string, partition: number): void {
    this.flow(() => this.consumer.pause([{ topic, partitions: [partition] }]));
  }

  resume(topic: string, partition: number): void {
    this.flow(() => this.consumer.resume([{ topic, partitions: [partition] }]));
  }

  /** kafkajs throws if the consumer group is not initialised yet; a paused flag outlives it anyway. */
  private flow(action: () => void): void {
    try {
      action();
    } catch (e) {
      this.logger.debug(`pause/resume ignored: ${(e as Error).message}`);
    }
  }

  /**
   * Commits next-offsets. The coordinator rejects a commit from a stale
   * generation (after a rebalance), which is what keeps two members from both
   * admitting: the caller treats a rejection as "not admitted here".
   */
  async commit(offsets: { topic: string; partition: number; offset: number }[]): Promise<void> {
    if (offsets.length === 0) return;
    await this.consumer.commitOffsets(offsets.map((o) => ({ ...o, offset: String(o.offset) })));
  }

  /** High watermarks of a topic's partitions (one ListOffsets round trip on the shared admin). */
  async offsets(topic: string): Promise<PartitionOffsets[]> {
    const admin = await this.kafka.admin();
    const rows = await admin.fetchTopicOffsets(topic);
    return rows.map((r) => ({ partition: r.partition, high: Number(r.high), low: Number(r.low) }));
  }

  /** The group's committed offsets of a topic (-1: none yet). */
  async committed(topic: string): Promise<Map<number, number>> {
    const admin = await this.kafka.admin();
    const [row] = await admin.fetchOffsets({ groupId: this.options.groupId, topics: [topic] });
    return new Map((row?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
  }

  /** Leaves the group (a clean hand-over to a standby) and disconnects. */
  stop(): Promise<void> {
    return this.serial(async () => {
      if (this.running) {
        await this.consumer.stop().catch((e: Error) => this.logger.warn(`stop: ${e.message}`));
        this.running = false;
      }
      this.revoke();
      if (this.connected) {
        await this.consumer
          .disconnect()
          .catch((e: Error) => this.logger.warn(`disconnect: ${e.message}`));
        this.connected = false;
      }
    });
  }

  /** `owned` survives: the rejoin that follows announces it, so the assignment stays sticky. */
  private revoke(): void {
    this.generation++;
    this.handlers.onRevoked();
  }

  private serial(task: () => Promise<void>): Promise<void> {
    const next = this.chain.then(task);
    this.chain = next.catch(() => undefined);
    return next;
  }
}

import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { Env } from '@app/config';
import { KafkaClient, LineConsumer, LineRecord } from '@app/kafka';
import { LINE_CODE_PATTERN, lineFromTopic } from '@app/queue';
import { AdmissionStore } from './admission.store';
import { AdmitterMetrics } from './admitter.metrics';
import { ADMITTER_OPTIONS, AdmitterOptions } from './admitter.options';
import { LineAdmitter, monotonicMs } from './line-admitter';
import { TokenBucket } from './token-bucket';

/**
 * Runs the admitter: discovers line topics, owns the line consumer, keeps one
 * {@link LineAdmitter} per line assigned to this process, and commits the
 * offsets they decide. ADMISSION IS THE COMMIT: the gateway reads the group's
 * committed offsets, so a ticket counts as admitted once its offset + 1 is
 * committed, and the coordinator refuses commits from a stale generation.
 */
@Injectable()
export class AdmissionService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Admission');
  private readonly consumer: LineConsumer;
  private readonly lines = new Map<string, LineAdmitter>();
  /** Kept across generations so a rebalance does not hand out a fresh burst. */
  private readonly buckets = new Map<string, TokenBucket>();
  private discoveryTimer?: NodeJS.Timeout;
  private commitTimer?: NodeJS.Timeout;
  private committing?: Promise<void>;
  private commitAgain = false;
  private stopping = false;
  private decidedSinceCommit = 0;

  constructor(
    private readonly env: Env,
    private readonly kafka: KafkaClient,
    private readonly store: AdmissionStore,
    private readonly metrics: AdmitterMetrics,
    @Inject(ADMITTER_OPTIONS) private readonly options: AdmitterOptions,
  ) {
    this.consumer = new LineConsumer(
      kafka,
      {
        groupId: env.ADMITTER_GROUP_ID,
        sessionTimeoutMs: options.sessionTimeoutMs,
        heartbeatIntervalMs: options.heartbeatIntervalMs,
        maxBytesPerPartition: options.fetchMaxBytesPerPartition,
      },
      {
        onRecords: (topic, partition, records) => this.onRecords(topic, partition, records),
        onRevoked: () => this.onRevoked(),
        onAssigned: (assignment) => this.onAssigned(assignment),
      },
    );
  }

  onApplicationBootstrap(): void {
    void this.discover();
    this.discoveryTimer = setInterval(() => void this.discover(), this.options.discoveryIntervalMs);
    this.commitTimer = setInterval(() => void this.commit(), this.options.commitIntervalMs);
  }

  /** Group generations joined so far (observability and tests). */
  joins = 0;

  /** The line consumer is fetching (or there is no line to consume yet). */
  get consuming(): boolean {
    return this.consumer.subscribed.length === 0 || this.consumer.healthy;
  }

  /** Lines this process admits right now. */
  get activeLines(): string[] {
    return [...this.lines.keys()];
  }

  /** Looks for new line topics and subscribes to them (a rebalance). Exposed for tests. */
  async discover(): Promise<void> {
    if (this.stopping) return;
    try {
      const admin = await this.kafka.admin();
      const prefix = this.env.KAFKA_TOPIC_PREFIX;
      const topics = (await admin.listTopics()).filter((t) => {
        const line = lineFromTopic(prefix, t);
        return line !== undefined && LINE_CODE_PATTERN.test(line);
      });
      const known = new Set(this.consumer.subscribed);
      if (topics.every((t) => known.has(t)) && (this.consumer.healthy || topics.length === 0))
        return;
      // Re-subscribing restarts the consumer (it leaves the group): commit what is decided first.
      await this.commit();
      if (this.stopping) return;
      await this.consumer.setTopics(topics);
      this.logger.log(`subscribed to ${topics.length} line topic(s)`);
    } catch (e) {
      this.logger.warn(`line discovery failed, will retry: ${(e as Error).message}`);
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    clearInterval(this.discoveryTimer);
    clearInterval(this.commitTimer);
    const admitters = [...this.lines.values()];
    const decided = admitters.flatMap((a) => a.pendingCommits());
    await Promise.all(admitters.map((a) => a.stop()));
    await this.committing;
    // Graceful: what was decided is committed (kept only if the generation is still ours).
    await this.consumer
      .commit(decided)
      .catch((e: Error) => this.logger.warn(`final commit: ${e.message}`));
    await this.consumer.stop();
  }

  private onRecords(topic: string, partition: number, records: LineRecord[]): void {
    const line = lineFromTopic(this.env.KAFKA_TOPIC_PREFIX, topic);
    if (line !== undefined) this.lines.get(line)?.push(partition, records);
  }

  private onRevoked(): void {
    for (const admitter of this.lines.values()) {
      void admitter.stop();
      this.metrics.bufferDepth.set({ line: admitter.line }, 0);
    }
    this.lines.clear();
  }

  private onAssigned(assignment: Record<string, number[]>): void {
    if (this.stopping) return;
    this.joins++;
    for (const [topic, partitions] of Object.entries(assignment)) {
      const line = lineFromTopic(this.env.KAFKA_TOPIC_PREFIX, topic);
      if (line === undefined || partitions.length === 0) continue;
      let bucket = this.buckets.get(line);
      if (!bucket) {
        bucket = new TokenBucket(
          this.env.ADMISSION_RATE_PER_SEC,
          this.env.ADMISSION_BURST,
          monotonicMs(),
        );
        this.buckets.set(line, bucket);
      }
      const admitter = new LineAdmitter(line, topic, partitions, bucket, {
        store: this.store,
        metrics: this.metrics,
        options: this.options,
        abandonMs: this.env.ABANDON_AFTER_SECONDS * 1000,
        skipRatePerSec: this.env.ABANDON_SKIP_RATE_PER_SEC,
        passTtlMs: this.env.PASS_TTL_SECONDS * 1000,
        pause: (p) => this.consumer.pause(topic, p),
        resume: (p) => this.consumer.resume(topic, p),
        offsets: () => this.consumer.offsets(topic),
        committed: () => this.consumer.committed(topic),
        decided: (count) => {
          this.decidedSinceCommit += count;
          if (this.decidedSinceCommit >= this.options.commitBatch) void this.commit();
        },
      });
      this.lines.set(line, admitter);
      admitter.start();
    }
    this.logger.log(`admitting lines: ${[...this.lines.keys()].join(', ') || '(none)'}`);
  }

  /** Commits every decided offset; one commit at a time, coalescing requests. */
  private commit(): Promise<void> {
    if (this.committing) {
      this.commitAgain = true;
      return this.committing;
    }
    this.committing = (async () => {
      do {
        this.commitAgain = false;
        this.decidedSinceCommit = 0;
        const batch = [...this.lines.values()].map((a) => ({
          admitter: a,
          offsets: a.pendingCommits(),
        }));
        const offsets = batch.flatMap((b) => b.offsets);
        if (offsets.length === 0) break;
        try {
          await this.consumer.commit(offsets);
          for (const { admitter, offsets: done } of batch) {
            for (const o of done) admitter.markCommitted(o.partition, o.offset);
          }
        } catch (e) {
          // Stale generation or broker trouble: keep them; a rebalance drops them and the next owner re-reads.
          this.logger.warn(`commit failed: ${(e as Error).message}`);
          break;
        }
      } while (this.commitAgain);
    })().finally(() => (this.committing = undefined));
    return this.committing;
  }
}

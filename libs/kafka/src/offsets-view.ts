import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { withTimeout } from '@app/common/timeout';
import { Env } from '@app/config';
import { KafkaClient } from './kafka.client';

/** One partition of a line as Kafka reports it. */
export interface PartitionView {
  /** Log-end offset: the next offset to be written. */
  endOffset: number;
  /** The admitter group's committed offset: the next offset to be admitted (0 when none). */
  committedOffset: number;
}

export interface TopicView {
  /** Indexed by partition number. */
  partitions: PartitionView[];
  /** Sum over partitions of the committed offsets. */
  committedTotal: number;
  /** Sum over partitions of endOffset - committedOffset. */
  waiting: number;
  /** Smoothed admission rate of the whole topic, offsets per second; null until measured. */
  ratePerSec: number | null;
  /** Epoch ms of the last successful refresh. */
  refreshedAt: number;
}

/** Time constant of the admission-rate moving average. */
export const RATE_TAU_SECONDS = 5;

/**
 * Exponentially weighted moving average for irregular sampling intervals:
 * the weight of the new sample grows with the time since the previous one.
 */
export function ewma(
  previous: number | null,
  sample: number,
  dtSeconds: number,
  tauSeconds = RATE_TAU_SECONDS,
): number {
  if (previous === null) return sample;
  const alpha = 1 - Math.exp(-dtSeconds / tauSeconds);
  return previous + alpha * (sample - previous);
}

/**
 * The one, shared, in-memory picture of every known line's offsets: log-end
 * offsets (ListOffsets) and the admitter group's committed offsets
 * (OffsetFetch), refreshed every VIEW_REFRESH_MS by a single loop over one
 * admin client. Requests read it without any Kafka round trip, so a poll costs
 * O(1) however long the line and however many pollers. While Kafka is
 * unreachable the last good numbers keep being served.
 */
@Injectable()
export class OffsetsView implements OnApplicationShutdown {
  private readonly logger = new Logger('OffsetsView');
  private readonly views = new Map<string, TopicView>();
  private readonly loading = new Map<string, Promise<TopicView>>();
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = false;
  private failures = 0;
  /** Observer of every refresh (metrics). */
  onRefresh?: (topic: string, view: TopicView) => void;

  constructor(
    private readonly kafka: KafkaClient,
    private readonly env: Env,
  ) {}

  get(topic: string): TopicView | undefined {
    return this.views.get(topic);
  }

  topics(): string[] {
    return [...this.views.keys()];
  }

  /**
   * The view of a topic, loading it (one bounded round trip, once per process
   * and topic) when it is not tracked yet; from then on the loop refreshes it.
   */
  track(topic: string): Promise<TopicView> {
    const known = this.views.get(topic);
    if (known) return Promise.resolve(known);
    let loading = this.loading.get(topic);
    if (!loading) {
      loading = withTimeout(this.fetch([topic]), 3000, `offsets of ${topic}`)
        .then(() => {
          const view = this.views.get(topic);
          if (!view) throw new Error(`no offsets for ${topic}`);
          return view;
        })
        .finally(() => this.loading.delete(topic));
      this.loading.set(topic, loading);
      this.start();
    }
    return loading;
  }

  /**
   * Like {@link track}, but undefined for a topic that does not exist, asked
   * without naming it: kafkajs keeps every topic it was asked about in its
   * metadata targets, and an unknown one there fails later refreshes.
   */
  async trackIfExists(topic: string): Promise<TopicView | undefined> {
    const known = this.views.get(topic);
    if (known) return known;
    const admin = await this.kafka.admin();
    const topics = await withTimeout(admin.listTopics(), 3000, 'listing topics');
    return topics.includes(topic) ? this.track(topic) : undefined;
  }

  /** A record this process just wrote: the log end is at least past it. */
  observeWrite(topic: string, partition: number, offset: number): void {
    const p = this.views.get(topic)?.partitions[partition];
    if (p && p.endOffset <= offset) p.endOffset = offset + 1;
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private start(): void {
    if (this.timer || this.stopped) return;
    const loop = () => {
      this.running = this.refreshAll().finally(() => {
        this.running = undefined;
        if (!this.stopped) this.timer = setTimeout(loop, this.env.VIEW_REFRESH_MS);
      });
    };
    this.timer = setTimeout(loop, this.env.VIEW_REFRESH_MS);
  }

  private async refreshAll(): Promise<void> {
    const topics = this.topics();
    if (topics.length > 0) {
      try {
        await withTimeout(
          this.fetch(topics),
          Math.max(2000, this.env.VIEW_REFRESH_MS * 5),
          'offsets refresh',
        );
        if (this.failures > 0)
          this.logger.log(`offsets refresh recovered after ${this.failures} failure(s)`);
        this.failures = 0;
      } catch (error) {
        // Keep serving the last good numbers; say so once, not every 200 ms.
        if (this.failures++ === 0)
          this.logger.warn(`offsets refresh failed: ${(error as Error).message}`);
      }
    }
  }

  private async fetch(topics: string[]): Promise<void> {
    const admin = await this.kafka.admin();
    // One topic failing (deleted, leader moving) must not freeze the others.
    const ends = await Promise.allSettled(topics.map((t) => admin.fetchTopicOffsets(t)));
    const fetched = topics.filter((_, i) => ends[i].status === 'fulfilled');
    if (fetched.length === 0) throw (ends[0] as PromiseRejectedResult).reason;
    const committed = await admin.fetchOffsets({
      groupId: this.env.ADMITTER_GROUP_ID,
      topics: fetched,
    });
    const now = Date.now();
    topics.forEach((topic, i) => {
      const end = ends[i];
      if (end.status !== 'fulfilled') return;
      const commits = new Map<number, number>();
      for (const p of committed.find((c) => c.topic === topic)?.partitions ?? []) {
        commits.set(p.partition, Math.max(0, Number(p.offset)));
      }
      const previous = this.views.get(topic);
      const partitions: PartitionView[] = [];
      for (const e of end.value) {
        // End offsets only grow; a ListOffsets answer older than our own latest write must not undo it.
        const endOffset = Math.max(
          Number(e.high),
          previous?.partitions[e.partition]?.endOffset ?? 0,
        );
        partitions[e.partition] = { endOffset, committedOffset: commits.get(e.partition) ?? 0 };
      }
      const committedTotal = partitions.reduce((s, p) => s + (p?.committedOffset ?? 0), 0);
      const waiting = partitions.reduce(
        (s, p) => s + Math.max(0, (p?.endOffset ?? 0) - (p?.committedOffset ?? 0)),
        0,
      );
      let ratePerSec: number | null = null;
      if (previous) {
        const dt = (now - previous.refreshedAt) / 1000;
        ratePerSec =
          dt > 0
            ? ewma(
                previous.ratePerSec,
                Math.max(0, committedTotal - previous.committedTotal) / dt,
                dt,
              )
            : previous.ratePerSec;
      }
      const view: TopicView = { partitions, committedTotal, waiting, ratePerSec, refreshedAt: now };
      this.views.set(topic, view);
      this.onRefresh?.(topic, view);
    });
  }
}

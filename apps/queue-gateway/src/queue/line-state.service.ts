import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import Redis from 'ioredis';
import { createHash } from 'node:crypto';
import { UnavailableError } from '@app/common';
import { Env } from '@app/config';
import { OffsetsView, TicketLog, TopicView } from '@app/kafka';
import {
  JoinRules,
  lineClosed,
  lineTopic,
  readJoinRules,
  readLineSettings,
  RedisKeys,
} from '@app/queue';
import { REDIS } from '@app/redis';
import { CatalogCache } from '../catalog/catalog-cache';

export const LINE_STATES = ['scheduled', 'open', 'paused', 'closed', 'ended', 'sold_out'] as const;
export type LineStateName = (typeof LINE_STATES)[number];

/** What anyone may know about a line: the body of GET /api/lines/{code} and of the SSE `line` event. */
export interface LineState {
  line: string;
  state: LineStateName;
  partitions: Array<{ partition: number; committedOffset: number; endOffset: number }>;
  waiting: number;
  ratePerSec: number | null;
  configuredRatePerSec: number;
  remaining: number;
  quantity: number;
  soldOut: boolean;
  /** A scheduled line (state `scheduled`): epoch ms of its opening and pre-queue draw. */
  opensAt: number | null;
  /** Epoch ms at which the line closes (or closed) to new places; null: not set. */
  closesAt: number | null;
  /** A first request needs a proof of work of this difficulty (GET .../challenge); 0 = none. */
  powDifficulty: number;
  /** Epoch ms of the offsets refresh that produced these numbers (they are unchanged since). */
  refreshedAt: number;
}

/** A line state serialised once, shared by every reader of the line. */
export interface LineSnapshot {
  state: LineState;
  /** The JSON body. */
  body: Buffer;
  /** Strong ETag of the body; unchanged while the content is. */
  etag: string;
  /** The same JSON as one SSE `line` event frame. */
  sseFrame: Buffer;
}

/** How often the lines' configured rates are re-read from Redis (admin changes). */
export const SETTINGS_REFRESH_MS = 1000;
/** How long a first request trusts this process's copy of a line's closesAt / endedAt. */
const LIFECYCLE_CACHE_MS = 250;
const OPEN: JoinRules = { closesAt: null, endedAt: null, powDifficulty: 0 };

/** The offsets of a line without a topic (yet): nobody has queued. */
const emptyView = (): TopicView => ({
  partitions: [],
  committedTotal: 0,
  waiting: 0,
  ratePerSec: null,
  refreshedAt: Date.now(),
});

const round = (n: number, digits: number) => Math.round(n * 10 ** digits) / 10 ** digits;

/**
 * The cacheable state of every line this process knows, rebuilt from the
 * shared offsets view at each refresh and serialised once: GET /api/lines/*
 * copies a buffer, and the SSE hub writes the same bytes to every stream of
 * the line. A new snapshot (and ETag) is made only when the content changes.
 */
@Injectable()
export class LineStateService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('LineState');
  private readonly snapshots = new Map<string, LineSnapshot>();
  private readonly cores = new Map<string, string>();
  private readonly configuredRates = new Map<string, number>();
  private readonly listeners: Array<(line: string, snapshot: LineSnapshot) => void> = [];
  private timer?: NodeJS.Timeout;
  private settingsFailing = false;

  /** Scheduled lines (not drawn yet) and their opening, re-read with the settings. */
  private readonly opensAt = new Map<string, number>();
  /** Each line's closesAt / endedAt and when they were read. */
  private readonly lifecycles = new Map<string, { at: number; lifecycle: JoinRules }>();

  constructor(
    private readonly env: Env,
    private readonly view: OffsetsView,
    private readonly log: TicketLog,
    private readonly catalog: CatalogCache,
    @Inject(REDIS) private readonly redis: Redis,
  ) {}

  onModuleInit(): void {
    this.timer = setInterval(() => void this.refreshSettings(), SETTINGS_REFRESH_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** Called with each line whose content changed. */
  onChange(listener: (line: string, snapshot: LineSnapshot) => void): void {
    this.listeners.push(listener);
  }

  /** A rate just set through this process's admin API; the line's state is rebuilt now. */
  setConfiguredRate(line: string, ratePerSec: number): void {
    this.configuredRates.set(line, ratePerSec);
    const v = this.view.get(this.topic(line));
    if (v) this.update(line, v);
  }

  /** A close, drain or proof-of-work change just made through this process's admin API: in effect here at once. */
  setLifecycle(line: string, change: Partial<JoinRules>): void {
    const lifecycle = { ...(this.lifecycles.get(line)?.lifecycle ?? OPEN), ...change };
    this.lifecycles.set(line, { at: Date.now(), lifecycle });
    const v = this.view.get(this.topic(line));
    if (v) this.update(line, v);
  }

  /**
   * The line's closesAt / endedAt and proof of work, as first requests and polls
   * check them: at most LIFECYCLE_CACHE_MS old (a change made through another
   * gateway is in effect everywhere within that), read from Redis when older.
   */
  async lifecycle(line: string): Promise<JoinRules> {
    const known = this.lifecycles.get(line);
    if (known && Date.now() - known.at < LIFECYCLE_CACHE_MS) return known.lifecycle;
    try {
      const [closesAt, endedAt, powDifficulty] = await this.redis.hmget(
        RedisKeys.lineSettings(line),
        'closesAt',
        'endedAt',
        'powDifficulty',
      );
      const lifecycle = readJoinRules({ closesAt, endedAt, powDifficulty });
      this.lifecycles.set(line, { at: Date.now(), lifecycle });
      return lifecycle;
    } catch (error) {
      // Redis away: the last known state (a line is open unless known to be closed).
      if (known) return known.lifecycle;
      this.logger.warn(`line ${line}'s close state is unknown: ${(error as Error).message}`);
      return OPEN;
    }
  }

  /** The line has ended (drained), as last read; no Redis round trip. */
  endedNow(line: string): boolean {
    return (this.lifecycles.get(line)?.lifecycle.endedAt ?? null) !== null;
  }

  get(line: string): LineSnapshot | undefined {
    return this.snapshots.get(line);
  }

  /** The line's snapshot; loads its offsets once if this process has not tracked it yet. 404 for no such coupon. */
  async require(line: string): Promise<LineSnapshot> {
    this.catalog.require(line);
    const known = this.snapshots.get(line);
    if (known) return known;
    let v: TopicView | undefined;
    try {
      // Not track(): asking kafkajs about a topic that does not exist (a coupon sold out
      // before anyone queued) would spoil the view's later refreshes.
      v = await this.view.trackIfExists(this.topic(line));
    } catch (error) {
      throw new UnavailableError(
        `The line's offsets are not available: ${(error as Error).message}`,
        2,
      );
    }
    return this.update(line, v ?? emptyView()) ?? this.snapshots.get(line)!;
  }

  /** Every catalogued line's snapshot (a line nobody queued in yet shows zeros). */
  list(): LineSnapshot[] {
    return this.catalog
      .codes()
      .map((code) => this.snapshots.get(code) ?? this.update(code, emptyView())!);
  }

  /**
   * Opens a line: creates its topic if needed and tracks its offsets from then on,
   * so the line's public state is ready before the first arrival. Failures are
   * logged; {@link loadMissing} tries again.
   */
  async open(line: string): Promise<void> {
    const topic = this.topic(line);
    try {
      await this.log.ensureTopic(topic);
      await this.view.track(topic);
    } catch (error) {
      this.logger.warn(`could not open line ${line} yet: ${(error as Error).message}`);
    }
  }

  /**
   * Catalogued lines with stock whose offsets this process has not loaded yet
   * (for instance Kafka was down when the gateway started); opening each is
   * tried again now, so the gateway becomes ready without a restart.
   */
  loadMissing(): string[] {
    const missing = this.catalog
      .codes()
      .filter((code) => (this.catalog.get(code)?.remaining ?? 0) > 0)
      .filter((code) => this.view.get(this.topic(code)) === undefined);
    for (const code of missing) void this.open(code);
    return missing;
  }

  private topic(line: string): string {
    return lineTopic(this.env.KAFKA_TOPIC_PREFIX, line);
  }

  /** A refresh of the line's offsets: rebuild its snapshot if anything visible changed. */
  update(line: string, v: TopicView): LineSnapshot | undefined {
    const coupon = this.catalog.get(line);
    const configured = this.configuredRates.get(line) ?? this.env.ADMISSION_RATE_PER_SEC;
    const soldOut = coupon?.remaining === 0;
    const opensAt = this.opensAt.get(line) ?? null;
    const lifecycle = this.lifecycles.get(line)?.lifecycle ?? OPEN;
    // Closed and nobody left waiting is ended too: the line has nothing more to do.
    const ended =
      lifecycle.endedAt !== null || (lineClosed(lifecycle, Date.now()) && v.waiting === 0);
    const state: LineState = {
      line,
      state: ended
        ? 'ended'
        : soldOut
          ? 'sold_out'
          : lineClosed(lifecycle, Date.now())
            ? 'closed'
            : opensAt !== null
              ? 'scheduled'
              : configured <= 0
                ? 'paused'
                : 'open',
      partitions: v.partitions.map((p, partition) => ({
        partition,
        committedOffset: p?.committedOffset ?? 0,
        endOffset: p?.endOffset ?? 0,
      })),
      waiting: v.waiting,
      ratePerSec: v.ratePerSec === null ? null : round(v.ratePerSec, 1),
      configuredRatePerSec: configured,
      remaining: coupon?.remaining ?? 0,
      quantity: coupon?.quantity ?? 0,
      soldOut,
      opensAt,
      closesAt: lifecycle.closesAt,
      powDifficulty: lifecycle.powDifficulty,
      refreshedAt: 0,
    };
    const core = JSON.stringify(state);
    if (this.cores.get(line) === core) return undefined;
    this.cores.set(line, core);
    state.refreshedAt = v.refreshedAt;
    const json = JSON.stringify(state);
    const snapshot: LineSnapshot = {
      state,
      body: Buffer.from(json),
      etag: `"${createHash('sha1').update(core).digest('base64url').slice(0, 20)}"`,
      sseFrame: Buffer.from(`event: line\nid: ${state.refreshedAt}\ndata: ${json}\n\n`),
    };
    this.snapshots.set(line, snapshot);
    for (const listener of this.listeners) listener(line, snapshot);
    return snapshot;
  }

  private async refreshSettings(): Promise<void> {
    const lines = [...this.snapshots.keys()];
    if (lines.length === 0) return;
    const pipeline = this.redis.pipeline();
    for (const line of lines) {
      pipeline.hmget(
        RedisKeys.lineSettings(line),
        'ratePerSec',
        'closesAt',
        'endedAt',
        'powDifficulty',
      );
      pipeline.hmget(RedisKeys.lineDraw(line), 'status', 'opensAt');
    }
    try {
      const results = (await pipeline.exec()) ?? [];
      lines.forEach((line, i) => {
        const [ratePerSec, closesAt, endedAt, powDifficulty] =
          (results[2 * i]?.[1] as (string | null)[] | null) ?? [];
        this.configuredRates.set(
          line,
          readLineSettings({ ratePerSec }, this.env).settings.ratePerSec,
        );
        this.lifecycles.set(line, {
          at: Date.now(),
          lifecycle: readJoinRules({ closesAt, endedAt, powDifficulty }),
        });
        const [status, opensAt] = (results[2 * i + 1]?.[1] as (string | null)[] | null) ?? [];
        if (status === 'scheduled' && opensAt) this.opensAt.set(line, Number(opensAt));
        else this.opensAt.delete(line);
      });
      this.settingsFailing = false;
    } catch (error) {
      if (!this.settingsFailing)
        this.logger.warn(`line settings refresh failed: ${(error as Error).message}`);
      this.settingsFailing = true;
    }
  }
}

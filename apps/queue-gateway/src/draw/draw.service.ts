import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { DomainError } from '@app/common/errors';
import { Env } from '@app/config';
import { KafkaClient, readTopic, TicketLog, TopicRecord } from '@app/kafka';
import { RedisLock } from '@app/lock';
import {
  drawCommitment,
  drawOrder,
  lineTopic,
  preQueueTopic,
  RedisKeys,
  TICKET_STATE_TTL_SECONDS,
} from '@app/queue';
import { REDIS } from '@app/redis';
import { CatalogCache } from '../catalog/catalog-cache';

/** Record header of a draw record in the line topic: its index in the drawn order. */
export const DRAW_HEADER = 'wr-draw';
/** How long a gateway trusts its copy of a line's schedule (first requests read it). */
const CACHE_MS = 250;
/** How often scheduled lines are looked at (the draw starts within this of opensAt). */
const TICK_MS = 500;
/** A pre-queue record may still land this long after the draw (an append in flight). */
const STRAGGLER_WAIT_MS = 6_000;
/** One drawer per line; a draw of 100,000 entrants takes about 20 s here. */
const DRAW_LEASE_MS = 120_000;
/** Appends in flight at once while writing the draw (the batcher keeps their order). */
const CHUNK = 500;

/** A line's schedule and draw, as published (the seed only once drawn). */
export interface DrawInfo {
  line: string;
  opensAt: number;
  preQueue: boolean;
  status: 'scheduled' | 'done';
  commitment: string;
  seed: string | null;
  entrants: number | null;
  late: number | null;
  drawnAt: number | null;
  algorithm: string;
}

interface StoredDraw {
  opensAt: number;
  preQueue: boolean;
  status: 'scheduled' | 'done';
  seed: string;
  commitment: string;
  entrants?: number;
  late?: number;
  drawnAt?: number;
  stragglers?: boolean;
}

/** What a first request does on a line right now. */
export type JoinPhase = 'open' | 'prequeue' | 'not_open';

/**
 * Scheduled lines and their pre-queue draw (libs/queue/src/draw.ts says how the
 * order is decided and checked).
 *
 * - An admin schedules a line (opensAt, pre-queue on): a 32-byte seed is drawn
 *   and its SHA-256 published at once (GET /api/lines/{code}/draw).
 * - Before opensAt a first request writes its ticket record to the line's
 *   pre-queue topic and gets a pre-queue ticket (status `scheduled`); without a
 *   pre-queue it is refused (409 LINE_NOT_OPEN).
 * - At opensAt one gateway (a Redis lock) reads the pre-queue topic, orders the
 *   records appended before opensAt by the seed, then the later ones by
 *   arrival, and appends them to the line topic in that order, each with the
 *   header wr-draw = its index, keeping its uuid. Then it records where each
 *   landed and reveals the seed; gateways then write new arrivals to the line
 *   topic, behind the draw.
 * - Exactly once: the line topic is the record of the draw. A drawer that dies
 *   mid-way leaves a prefix of the order there; the next one reads it, checks it
 *   is that prefix, and appends only the rest. A pre-queue record that landed
 *   after the draw read its topic (an append in flight at the switch) is
 *   appended behind it a few seconds later.
 * - A pre-queue ticket keeps working: its uuid is the same in the line, so its
 *   state, heartbeats and cancellation carry over; its next poll finds its place.
 */
@Injectable()
export class DrawService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Draw');
  private readonly lock: RedisLock;
  private readonly cache = new Map<string, { at: number; draw: StoredDraw | null }>();
  private readonly placements = new Map<string, { partition: number; offset: number }>();
  private timer?: NodeJS.Timeout;
  private running = false;

  constructor(
    private readonly env: Env,
    @Inject(REDIS) private readonly redis: Redis,
    private readonly kafka: KafkaClient,
    private readonly log: TicketLog,
    private readonly catalog: CatalogCache,
  ) {
    this.lock = new RedisLock(redis, 'draw');
  }

  onModuleInit(): void {
    this.timer = setInterval(() => void this.tick(), TICK_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** Schedules (or re-schedules) a line; the seed and its commitment are made once. */
  async schedule(line: string, opensAt: number, preQueue: boolean): Promise<DrawInfo> {
    const key = RedisKeys.lineDraw(line);
    const seed = randomBytes(32).toString('hex');
    const done = await this.redis.hget(key, 'status');
    if (done === 'done') {
      throw new DomainError(409, 'ALREADY_DRAWN', `Line ${line} has already opened and drawn`);
    }
    // The pre-queue topic exists before the crowd does (as a line topic exists before its line opens).
    if (preQueue) await this.log.ensureTopic(preQueueTopic(this.env.KAFKA_TOPIC_PREFIX, line));
    await this.redis
      .multi()
      .hsetnx(key, 'seed', seed)
      .hsetnx(key, 'commitment', drawCommitment(seed))
      .hset(key, { opensAt, preQueue: preQueue ? '1' : '0', status: 'scheduled' })
      .exec();
    this.cache.delete(line);
    return (await this.info(line))!;
  }

  /** Turns a scheduled line's pre-queue on or off (409 when it is not scheduled, or drawn). */
  async setPreQueue(line: string, preQueue: boolean): Promise<void> {
    const status = await this.redis.hget(RedisKeys.lineDraw(line), 'status');
    if (status !== 'scheduled') {
      throw new DomainError(
        409,
        status === 'done' ? 'ALREADY_DRAWN' : 'NOT_SCHEDULED',
        `Line ${line} is not waiting for its opening: give opensAt to schedule it`,
      );
    }
    await this.redis.hset(RedisKeys.lineDraw(line), 'preQueue', preQueue ? '1' : '0');
    this.cache.delete(line);
  }

  /**
   * The public view of a line's schedule and draw; null for a line never
   * scheduled. The same cached view first requests follow: a schedule, or the
   * end of a draw, reaches every gateway within CACHE_MS.
   */
  async info(line: string): Promise<DrawInfo | null> {
    const d = await this.stored(line, CACHE_MS);
    if (!d) return null;
    const done = d.status === 'done';
    return {
      line,
      opensAt: d.opensAt,
      preQueue: d.preQueue,
      status: d.status,
      commitment: d.commitment,
      seed: done ? d.seed : null,
      entrants: done ? (d.entrants ?? 0) : null,
      late: done ? (d.late ?? 0) : null,
      drawnAt: done ? (d.drawnAt ?? null) : null,
      algorithm: 'see libs/queue/src/draw.ts (npm run audit:draw -- CODE re-runs it)',
    };
  }

  /** Where a first request goes now (cached a quarter of a second). */
  async phase(line: string): Promise<JoinPhase> {
    const d = await this.stored(line, CACHE_MS).catch(() => null);
    if (!d || d.status === 'done') return 'open';
    return d.preQueue ? 'prequeue' : 'not_open';
  }

  /** When a scheduled line draws (opens); null when it is not waiting for a draw. */
  async drawAt(line: string): Promise<number | null> {
    const d = await this.stored(line, CACHE_MS).catch(() => null);
    return d && d.status !== 'done' ? d.opensAt : null;
  }

  /** A pre-queue ticket's place in the line, once drawn. */
  async placementOf(
    line: string,
    uuid: string,
  ): Promise<{ partition: number; offset: number } | null> {
    const known = this.placements.get(uuid);
    if (known) return known;
    const raw = await this.redis.hget(RedisKeys.linePlaced(line), uuid);
    if (!raw) return null;
    const [partition, offset] = raw.split(':').map(Number);
    const place = { partition: partition!, offset: offset! };
    if (this.placements.size > 1_000_000) this.placements.clear();
    this.placements.set(uuid, place);
    return place;
  }

  private async stored(line: string, maxAgeMs: number): Promise<StoredDraw | null> {
    const cached = this.cache.get(line);
    if (cached && Date.now() - cached.at < maxAgeMs) return cached.draw;
    const h = await this.redis.hgetall(RedisKeys.lineDraw(line));
    const draw: StoredDraw | null = h.seed
      ? {
          opensAt: Number(h.opensAt),
          preQueue: h.preQueue === '1',
          status: h.status === 'done' ? 'done' : 'scheduled',
          seed: h.seed,
          commitment: h.commitment!,
          entrants: h.entrants === undefined ? undefined : Number(h.entrants),
          late: h.late === undefined ? undefined : Number(h.late),
          drawnAt: h.drawnAt === undefined ? undefined : Number(h.drawnAt),
          stragglers: h.stragglers === '1',
        }
      : null;
    this.cache.set(line, { at: Date.now(), draw });
    return draw;
  }

  /** Starts each due draw, and each straggler pass, on whichever gateway gets the lock. */
  private async tick(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      for (const line of this.catalog.codes()) {
        const d = await this.stored(line, 0);
        if (!d) continue;
        const now = Date.now();
        const due = d.status === 'scheduled' && now >= d.opensAt;
        const stragglers =
          d.status === 'done' && !d.stragglers && now >= (d.drawnAt ?? 0) + STRAGGLER_WAIT_MS;
        if (due || stragglers) await this.draw(line);
      }
    } catch (error) {
      this.logger.warn(`draw check failed: ${(error as Error).message}`);
    } finally {
      this.running = false;
    }
  }

  /**
   * Runs (or resumes, or finishes) the draw of `line` if this process gets the
   * lock. `stopAfter` (tests): dies after appending that many draw records.
   */
  async draw(line: string, opts: { stopAfter?: number } = {}): Promise<boolean> {
    const lease = await this.lock.tryAcquire(`draw:${line}`, DRAW_LEASE_MS);
    if (!lease) return false;
    try {
      const d = await this.stored(line, 0);
      if (!d) return false;
      if (d.status === 'done' && d.stragglers) return true;
      const pre = await this.readIfExists(preQueueTopic(this.env.KAFKA_TOPIC_PREFIX, line));
      const drawn = (await this.readIfExists(lineTopic(this.env.KAFKA_TOPIC_PREFIX, line)))
        .filter((r) => r.headers[DRAW_HEADER] !== undefined)
        .sort((a, b) => Number(a.headers[DRAW_HEADER]) - Number(b.headers[DRAW_HEADER]));
      const tickets = pre.filter((r) => r.key && r.value);
      const entrants = tickets
        .filter((r) => r.timestamp < d.opensAt)
        .map((r) => ({ ...r, uuid: r.key! }));
      const late = tickets
        .filter((r) => r.timestamp >= d.opensAt)
        .sort(
          (a, b) => a.timestamp - b.timestamp || a.partition - b.partition || a.offset - b.offset,
        )
        .map((r) => ({ ...r, uuid: r.key! }));
      // What an earlier drawer wrote must be the start of the shuffled order; the
      // rest (the remaining entrants, then later arrivals and stragglers) goes behind.
      const shuffled = drawOrder(d.seed, entrants);
      drawn.forEach((r, i) => {
        const want = i < shuffled.length ? shuffled[i]!.uuid : undefined;
        if (Number(r.headers[DRAW_HEADER]) !== i || (want !== undefined && r.key !== want)) {
          throw new Error(`the line topic's draw records are not the drawn order (index ${i})`);
        }
      });
      const placed = new Set(drawn.map((r) => r.key));
      const rest = [...shuffled, ...late].filter((r) => !placed.has(r.uuid));
      const places = new Map(drawn.map((r) => [r.key!, `${r.partition}:${r.offset}`]));
      const topic = lineTopic(this.env.KAFKA_TOPIC_PREFIX, line);
      let appended = 0;
      const size = Math.min(CHUNK, opts.stopAfter ?? CHUNK);
      for (let i = 0; i < rest.length; i += size) {
        const chunk = rest.slice(i, i + size);
        const positions = await Promise.all(
          chunk.map((r, j) =>
            this.log.append({
              topic,
              key: r.uuid,
              value: r.value!,
              headers: { [DRAW_HEADER]: String(drawn.length + i + j) },
            }),
          ),
        );
        positions.forEach((p, j) => places.set(chunk[j]!.uuid, `${p.partition}:${p.offset}`));
        appended += chunk.length;
        if (opts.stopAfter !== undefined && appended >= opts.stopAfter) {
          throw new Error(`draw of ${line} stopped after ${appended} records (test)`);
        }
      }
      const placedKey = RedisKeys.linePlaced(line);
      const tx = this.redis.multi();
      const entries = [...places];
      for (let i = 0; i < entries.length; i += 1000) {
        tx.hset(placedKey, Object.fromEntries(entries.slice(i, i + 1000)));
      }
      tx.expire(placedKey, TICKET_STATE_TTL_SECONDS);
      if (d.status === 'done') {
        tx.hset(RedisKeys.lineDraw(line), { stragglers: '1' });
      } else {
        tx.hset(RedisKeys.lineDraw(line), {
          status: 'done',
          entrants: entrants.length,
          late: late.length,
          drawnAt: Date.now(),
        });
      }
      await tx.exec();
      this.cache.delete(line);
      this.logger.log(
        d.status === 'done'
          ? `draw of ${line}: ${appended} late pre-queue record(s) placed behind it`
          : `drew ${line}: ${entrants.length} entrants shuffled, ${late.length} later arrivals behind them`,
      );
      return true;
    } finally {
      await this.lock.release(lease).catch(() => undefined);
    }
  }

  private async readIfExists(topic: string): Promise<TopicRecord[]> {
    const admin = await this.kafka.admin();
    if (!(await admin.listTopics()).includes(topic)) return [];
    return readTopic(this.kafka, topic);
  }
}

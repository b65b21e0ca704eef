import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import Redis from 'ioredis';
import { Env } from '@app/config';
import {
  PULSE_SCRIPT,
  pulseGapMs,
  RedisKeys,
  TICKET_STATE_TTL_SECONDS,
  TicketFields,
} from '@app/queue';
import { REDIS } from '@app/redis';

/** How often buffered heartbeats are written; far inside the abandon window (ABANDON_AFTER_SECONDS). */
export const HEARTBEAT_FLUSH_MS = 500;
/** Tickets per script call when flushing. */
export const HEARTBEAT_BATCH = 500;
/**
 * Most tickets with a heartbeat waiting to be written (about 100 MB). Only a
 * long Redis outage with that many distinct holders polling this gateway fills
 * it; a new holder's beat is then dropped (counted), the ones held are kept.
 */
export const HEARTBEAT_PENDING_MAX = 1_000_000;

/**
 * KEYS: ticket hashes; ARGV[1]: the hash's TTL, ARGV[1 + i]: the beat of KEYS[i].
 * One call per HEARTBEAT_BATCH tickets instead of two commands per ticket: at
 * 20,000 waiters a flush costs the gateway a seventh of the CPU (measured:
 * 400 ms -> 60 ms). The keys of one call may live in different hash slots, so
 * a Redis Cluster deployment would need the tickets' keys hash-tagged per line.
 */
const BEAT_SCRIPT = `
for i = 1, #KEYS do
  redis.call('HSET', KEYS[i], '${TicketFields.heartbeat}', ARGV[i + 1])
  redis.call('EXPIRE', KEYS[i], ARGV[1])
end
return #KEYS`;

type BeatingRedis = Redis & {
  wrBeat(keyCount: number, ...args: Array<string | number>): Promise<number>;
  wrPulse(pulseKey: string, now: number, gapMs: number): Promise<number>;
};

/**
 * Heartbeats (ticket:{uuid} hb) buffered in memory and written in batches every
 * {@link HEARTBEAT_FLUSH_MS}: a poll or an open event stream costs no Redis
 * round trip, and a holder polling many times between flushes costs one write.
 * Every flush also writes the gateways' pulse (libs/queue/src/pulse.ts), the
 * admitter's evidence that silence from a holder means the holder left.
 */
@Injectable()
export class HeartbeatBuffer implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Heartbeats');
  private pending = new Map<string, number>();
  private timer?: NodeJS.Timeout;
  private failing = false;

  private readonly beats: BeatingRedis;

  private readonly gapMs: number;
  private readonly windowMs: number;

  constructor(@Inject(REDIS) redis: Redis, env: Env) {
    if (!('wrBeat' in redis)) {
      redis.defineCommand('wrBeat', { lua: BEAT_SCRIPT });
      redis.defineCommand('wrPulse', { lua: PULSE_SCRIPT, numberOfKeys: 1 });
    }
    this.beats = redis as BeatingRedis;
    this.gapMs = pulseGapMs(env.ABANDON_AFTER_SECONDS);
    this.windowMs = env.ABANDON_AFTER_SECONDS * 1000;
  }

  /** Beats dropped because {@link HEARTBEAT_PENDING_MAX} were waiting. */
  dropped = 0;

  /** When this gateway last heard from any holder. */
  private lastTouchAt = 0;

  touch(uuid: string, at = Date.now()): void {
    this.lastTouchAt = at;
    if (this.pending.size >= HEARTBEAT_PENDING_MAX && !this.pending.has(uuid)) {
      if (this.dropped++ === 0) this.logger.warn('heartbeat buffer full: dropping new beats');
      return;
    }
    this.pending.set(uuid, at);
  }

  get size(): number {
    return this.pending.size;
  }

  onModuleInit(): void {
    this.timer = setInterval(() => void this.flush(), HEARTBEAT_FLUSH_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  async flush(): Promise<void> {
    if (this.pending.size === 0) {
      // Nothing to write, but holders were heard from within the window: keep
      // the pulse going, so a lull between beats is not taken for an outage.
      if (Date.now() - this.lastTouchAt < this.windowMs) {
        await this.beats.wrPulse(RedisKeys.pulse(), Date.now(), this.gapMs).catch(() => undefined);
      }
      return;
    }
    const batch = this.pending;
    this.pending = new Map();
    const calls: Promise<number>[] = [];
    let keys: string[] = [];
    let args: Array<string | number> = [TICKET_STATE_TTL_SECONDS];
    const send = () => {
      calls.push(this.beats.wrBeat(keys.length, ...keys, ...args));
      keys = [];
      args = [TICKET_STATE_TTL_SECONDS];
    };
    for (const [uuid, at] of batch) {
      keys.push(RedisKeys.ticket(uuid));
      args.push(at);
      if (keys.length === HEARTBEAT_BATCH) send();
    }
    if (keys.length > 0) send();
    calls.push(this.beats.wrPulse(RedisKeys.pulse(), Date.now(), this.gapMs));
    try {
      await Promise.all(calls);
      if (this.failing) this.logger.log('heartbeat writes recovered');
      this.failing = false;
      this.dropped = 0;
    } catch (error) {
      if (!this.failing) this.logger.warn(`heartbeat flush failed: ${(error as Error).message}`);
      this.failing = true;
      // Keep them for the next flush unless a newer heartbeat arrived meanwhile.
      for (const [uuid, at] of batch) {
        if (this.pending.size >= HEARTBEAT_PENDING_MAX) break;
        if (!this.pending.has(uuid)) this.pending.set(uuid, at);
      }
    }
  }
}

import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import Redis from 'ioredis';
import { RedisKeys, TICKET_STATE_TTL_SECONDS, TicketFields } from '@app/queue';
import { REDIS } from '@app/redis';

/** How often buffered heartbeats are written; far inside the abandon window (ABANDON_AFTER_SECONDS). */
export const HEARTBEAT_FLUSH_MS = 500;

/**
 * Heartbeats (ticket:{uuid} hb) buffered in memory and written with one
 * pipeline every {@link HEARTBEAT_FLUSH_MS}: a poll costs no Redis round trip,
 * and a holder polling many times between flushes costs one write.
 */
@Injectable()
export class HeartbeatBuffer implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Heartbeats');
  private pending = new Map<string, number>();
  private timer?: NodeJS.Timeout;
  private failing = false;

  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  touch(uuid: string, at = Date.now()): void {
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
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    const pipeline = this.redis.pipeline();
    for (const [uuid, at] of batch) {
      const key = RedisKeys.ticket(uuid);
      pipeline.hset(key, TicketFields.heartbeat, at);
      pipeline.expire(key, TICKET_STATE_TTL_SECONDS);
    }
    try {
      await pipeline.exec();
      if (this.failing) this.logger.log('heartbeat writes recovered');
      this.failing = false;
    } catch (error) {
      if (!this.failing) this.logger.warn(`heartbeat flush failed: ${(error as Error).message}`);
      this.failing = true;
      // Keep them for the next flush unless a newer heartbeat arrived meanwhile.
      for (const [uuid, at] of batch) if (!this.pending.has(uuid)) this.pending.set(uuid, at);
    }
  }
}

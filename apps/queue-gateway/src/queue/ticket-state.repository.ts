import { Inject, Injectable } from '@nestjs/common';
import Redis from 'ioredis';
import { RedisKeys, TICKET_STATE_TTL_SECONDS, TicketFields } from '@app/queue';
import { REDIS } from '@app/redis';

/** What Redis knows about one ticket (written by the gateway and the admitter). */
export interface TicketState {
  heartbeat?: number;
  cancelled?: number;
  skipped?: 'cancelled' | 'abandoned';
  admittedAt?: number;
  spent?: number;
}

// Spent and cancelled exclude each other: checked and set in one step.
const CANCEL_SCRIPT = `
if redis.call('HEXISTS', KEYS[1], '${TicketFields.spent}') == 1 then return 0 end
redis.call('HSETNX', KEYS[1], '${TicketFields.cancelled}', ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[2])
redis.call('ZREM', KEYS[2], ARGV[3])
return 1`;

const num = (v: string | undefined) => (v === undefined || v === '' ? undefined : Number(v));

/** The gateway's reads and writes of ticket:{uuid} and line:{line}:active. */
@Injectable()
export class TicketStateRepository {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  async read(uuid: string): Promise<TicketState> {
    const h = await this.redis.hgetall(RedisKeys.ticket(uuid));
    const skipped = h[TicketFields.skipped];
    return {
      heartbeat: num(h[TicketFields.heartbeat]),
      cancelled: num(h[TicketFields.cancelled]),
      skipped: skipped === 'cancelled' || skipped === 'abandoned' ? skipped : undefined,
      admittedAt: num(h[TicketFields.admittedAt]),
      spent: num(h[TicketFields.spent]),
    };
  }

  /** Marks a ticket cancelled (idempotent; the first time stays). False when it was already spent. */
  async cancel(uuid: string, line: string, at = Date.now()): Promise<boolean> {
    const result = await this.redis.eval(
      CANCEL_SCRIPT,
      2,
      RedisKeys.ticket(uuid),
      RedisKeys.lineActive(line),
      at,
      TICKET_STATE_TTL_SECONDS,
      uuid,
    );
    return result === 1;
  }

  /** The pass was used: it no longer counts against the line's active cap. */
  async markSpent(uuid: string, line: string, at = Date.now()): Promise<void> {
    const key = RedisKeys.ticket(uuid);
    await this.redis
      .multi()
      .hset(key, TicketFields.spent, at)
      .expire(key, TICKET_STATE_TTL_SECONDS)
      .zrem(RedisKeys.lineActive(line), uuid)
      .exec();
  }
}

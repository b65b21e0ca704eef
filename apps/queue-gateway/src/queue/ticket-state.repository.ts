import { Inject, Injectable } from '@nestjs/common';
import Redis from 'ioredis';
import {
  ADMISSIONS_STREAM_MAXLEN,
  RedisKeys,
  TICKET_STATE_TTL_SECONDS,
  TicketFields,
} from '@app/queue';
import { REDIS } from '@app/redis';

/** What Redis knows about one ticket (written by the gateway and the admitter). */
export interface TicketState {
  heartbeat?: number;
  cancelled?: number;
  skipped?: 'cancelled' | 'abandoned';
  skippedAt?: number;
  admittedAt?: number;
  spent?: number;
}

/**
 * How long a claim for issuing holds off a cancel: longer than the coupon
 * call's timeout, so a gateway that died mid-issue blocks a cancel only briefly.
 */
export const ISSUE_CLAIM_MS = 30_000;

// Spent (or being issued) and cancelled exclude each other: checked and set in one step.
const CANCEL_SCRIPT = `
if redis.call('HEXISTS', KEYS[1], '${TicketFields.spent}') == 1 then return 0 end
local issuing = tonumber(redis.call('HGET', KEYS[1], '${TicketFields.issuing}'))
if issuing and tonumber(ARGV[1]) - issuing < ${ISSUE_CLAIM_MS} then return 2 end
redis.call('HSETNX', KEYS[1], '${TicketFields.cancelled}', ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[2])
redis.call('ZREM', KEYS[2], ARGV[3])
return 1`;

// A holder skipped as abandoned came back within the grace window: admitted
// now, in the admission log like any admission (their place has passed, so
// they go ahead of nobody). Only an abandonment skip is undone, once.
const F = TicketFields;
const REJOIN_SCRIPT = `
if redis.call('HGET', KEYS[1], '${F.skipped}') ~= 'abandoned' then return 0 end
if redis.call('HEXISTS', KEYS[1], '${F.cancelled}') == 1 then return 0 end
local skippedAt = tonumber(redis.call('HGET', KEYS[1], '${F.skippedAt}')) or 0
local now = tonumber(ARGV[1])
if now - skippedAt > tonumber(ARGV[2]) then return 0 end
redis.call('HDEL', KEYS[1], '${F.skipped}', '${F.skippedAt}')
redis.call('HSET', KEYS[1], '${F.admittedAt}', now, '${F.heartbeat}', now)
redis.call('EXPIRE', KEYS[1], ARGV[5])
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[3]), ARGV[4])
redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[6], '*', 'uuid', ARGV[4], 'at', now, 'rejoined', 1)
redis.call('HINCRBY', KEYS[4], 'rejoined', 1)
return 1`;

// Claims an admitted ticket for issuing, unless it was cancelled or spent.
const CLAIM_SCRIPT = `
if redis.call('HEXISTS', KEYS[1], '${TicketFields.cancelled}') == 1 then return 'cancelled' end
if redis.call('HEXISTS', KEYS[1], '${TicketFields.spent}') == 1 then return 'spent' end
redis.call('HSET', KEYS[1], '${TicketFields.issuing}', ARGV[1])
return 'ok'`;

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
      skippedAt: num(h[TicketFields.skippedAt]),
      admittedAt: num(h[TicketFields.admittedAt]),
      spent: num(h[TicketFields.spent]),
    };
  }

  /**
   * Marks a ticket cancelled (idempotent; the first time stays). 'spent' when
   * it was already used, 'issuing' while a coupon is being issued for it.
   */
  async cancel(
    uuid: string,
    line: string,
    at = Date.now(),
  ): Promise<'cancelled' | 'spent' | 'issuing'> {
    const result = await this.redis.eval(
      CANCEL_SCRIPT,
      2,
      RedisKeys.ticket(uuid),
      RedisKeys.lineActive(line),
      at,
      TICKET_STATE_TTL_SECONDS,
      uuid,
    );
    return result === 1 ? 'cancelled' : result === 2 ? 'issuing' : 'spent';
  }

  /** Claims an admitted ticket for issuing: from now until released or spent, a cancel is refused. */
  async claimForIssue(uuid: string, at = Date.now()): Promise<'ok' | 'cancelled' | 'spent'> {
    return (await this.redis.eval(CLAIM_SCRIPT, 1, RedisKeys.ticket(uuid), at)) as
      'ok' | 'cancelled' | 'spent';
  }

  /**
   * The issue did not happen: the ticket may be cancelled again. With `line`
   * (the answer was final), its pass also leaves the line's active set.
   */
  async releaseIssue(uuid: string, line?: string): Promise<void> {
    const tx = this.redis.multi().hdel(RedisKeys.ticket(uuid), TicketFields.issuing);
    if (line !== undefined) tx.zrem(RedisKeys.lineActive(line), uuid);
    await tx.exec();
  }

  /**
   * Admits a holder skipped as abandoned who is back within `graceMs` of the
   * skip (see REJOIN_SCRIPT). False when the ticket is not such a ticket.
   */
  async rejoin(uuid: string, line: string, graceMs: number, passTtlMs: number): Promise<boolean> {
    const result = await this.redis.eval(
      REJOIN_SCRIPT,
      4,
      RedisKeys.ticket(uuid),
      RedisKeys.lineActive(line),
      RedisKeys.lineAdmissions(line),
      RedisKeys.lineStats(line),
      Date.now(),
      graceMs,
      passTtlMs,
      uuid,
      TICKET_STATE_TTL_SECONDS,
      ADMISSIONS_STREAM_MAXLEN,
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

import { Inject, Injectable } from '@nestjs/common';
import Redis from 'ioredis';
import { Env } from '@app/config';
import {
  ADMISSIONS_STREAM_MAXLEN,
  LineSettings,
  PULSE_FIELDS,
  pulseGapMs,
  readLineSettings,
  RedisKeys,
  TICKET_STATE_TTL_SECONDS,
  TicketFields,
} from '@app/queue';
import { REDIS } from '@app/redis';

/** A ticket at the head of its line, ready to be decided. */
export interface HeadTicket {
  uuid: string;
  partition: number;
  offset: number;
  /** Broker append time, epoch ms. */
  timestamp: number;
}

/**
 * Per ticket, in order: L admitted live now, C skipped (cancelled), B skipped
 * (abandoned), A admitted before (an earlier owner wrote it, its commit did not
 * land), S skipped before.
 */
export type Outcome = 'L' | 'C' | 'B' | 'A' | 'S';

export interface DecideResult {
  outcomes: Outcome[];
  /**
   * Why it stopped before the end: out of tokens, the active set is full, the
   * round's abandonment skips are used up, the line was paused (its stored rate
   * is 0, read in the same script), or the gateways' pulse is silent (nothing
   * decided: silence from holders is no evidence then).
   */
  stop: 'done' | 'token' | 'full' | 'skips' | 'silent' | 'paused' | 'ended';
}

export interface DecideLimits {
  now: number;
  abandonMs: number;
  passTtlMs: number;
  maxActive: number;
  /** Live admissions allowed in this call (whole tokens). */
  maxAdmit: number;
  /** Abandonment skips allowed in this call. */
  maxSkip: number;
}

/**
 * Decides a run of head tickets in one atomic script, in order, stopping at the
 * first live ticket it may not admit. A holder is abandoned only after a whole
 * abandon window in which the gateways' pulse was alive (libs/queue/src/pulse.ts)
 * and the holder was not heard from; while the pulse is silent nothing is decided. Atomic and idempotent per ticket
 * (admittedAt / skipped are sticky), so two admitters that briefly overlap
 * around a rebalance never both write an admission, and the admissions stream
 * stays in line order: each ticket is settled before anyone looks at the next.
 */
const F = TicketFields;
const P = PULSE_FIELDS;
const DECIDE = `
local now = tonumber(ARGV[1])
local abandonMs = tonumber(ARGV[2])
local passTtl = tonumber(ARGV[3])
local maxActive = tonumber(ARGV[4])
local maxAdmit = tonumber(ARGV[5])
local ttl = tonumber(ARGV[6])
local gapMs = tonumber(ARGV[7])
local maxSkip = tonumber(ARGV[8])
local maxLen = ARGV[9]
-- A pause (ratePerSec 0 written by the admin API) holds from the very next
-- decision, not from the admitter's next settings refresh.
local paused = tonumber(redis.call('HGET', KEYS[5], 'ratePerSec')) == 0
-- An ended (drained) line admits and skips nobody from the decision after the drain.
if redis.call('HEXISTS', KEYS[5], 'endedAt') == 1 then return {'', 'ended'} end
local pulse = redis.call('HMGET', KEYS[4], '${P.last}', '${P.since}')
local last = tonumber(pulse[1])
if not last or now - last > gapMs then return {'', 'silent'} end
local since = tonumber(pulse[2]) or last
local n = #KEYS - 5
local out = {}
local admitted = 0
local skips = 0
-- Expired passes leave the active set whether or not the line has a cap.
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
-- The line's keys live as long as its tickets' state after the last decision.
local function finish(stop)
  for k = 1, 3 do redis.call('EXPIRE', KEYS[k], ttl) end
  return {table.concat(out), stop}
end
for i = 1, n do
  local key = KEYS[5 + i]
  local base = 9 + (i - 1) * 4
  local uuid = ARGV[base + 1]
  local ts = tonumber(ARGV[base + 4])
  local st = redis.call('HMGET', key, '${F.heartbeat}', '${F.cancelled}', '${F.skipped}', '${F.admittedAt}')
  if st[4] then
    out[i] = 'A'
  elseif st[3] then
    out[i] = 'S'
  elseif st[2] then
    redis.call('HSET', key, '${F.skipped}', 'cancelled', '${F.skippedAt}', now)
    redis.call('EXPIRE', key, ttl)
    redis.call('HINCRBY', KEYS[3], 'skippedCancelled', 1)
    out[i] = 'C'
  else
    local hb = tonumber(st[1]) or 0
    if now - math.max(hb, ts, since) > abandonMs then
      if skips >= maxSkip then return finish('skips') end
      redis.call('HSET', key, '${F.skipped}', 'abandoned', '${F.skippedAt}', now)
      redis.call('EXPIRE', key, ttl)
      redis.call('HINCRBY', KEYS[3], 'skippedAbandoned', 1)
      skips = skips + 1
      out[i] = 'B'
    else
      if paused then return finish('paused') end
      if admitted >= maxAdmit then return finish('token') end
      if maxActive > 0 and redis.call('ZCARD', KEYS[1]) >= maxActive then
        return finish('full')
      end
      redis.call('HSET', key, '${F.admittedAt}', now)
      redis.call('EXPIRE', key, ttl)
      redis.call('ZADD', KEYS[1], now + passTtl, uuid)
      redis.call('XADD', KEYS[2], 'MAXLEN', '~', maxLen, '*', 'uuid', uuid, 'partition', ARGV[base + 2], 'offset', ARGV[base + 3], 'at', now)
      redis.call('HINCRBY', KEYS[3], 'admitted', 1)
      admitted = admitted + 1
      out[i] = 'L'
    end
  end
end
return finish('done')
`;

type DecideCommand = (numKeys: number, ...args: (string | number)[]) => Promise<[string, string]>;

/** The admitter's side of the shared Redis layout (libs/queue/src/redis-keys.ts). */
@Injectable()
export class AdmissionStore {
  private readonly pulseGap: number;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    private readonly env: Env,
  ) {
    this.pulseGap = pulseGapMs(env.ABANDON_AFTER_SECONDS);
    if (!(this.redis as unknown as { wrAdmitDecide?: unknown }).wrAdmitDecide) {
      this.redis.defineCommand('wrAdmitDecide', { lua: DECIDE });
    }
  }

  async decide(line: string, heads: HeadTicket[], limits: DecideLimits): Promise<DecideResult> {
    if (heads.length === 0) return { outcomes: [], stop: 'done' };
    const keys = [
      RedisKeys.lineActive(line),
      RedisKeys.lineAdmissions(line),
      RedisKeys.lineStats(line),
      RedisKeys.pulse(),
      RedisKeys.lineSettings(line),
    ];
    for (const h of heads) keys.push(RedisKeys.ticket(h.uuid));
    const args: (string | number)[] = [
      limits.now,
      limits.abandonMs,
      limits.passTtlMs,
      limits.maxActive,
      limits.maxAdmit,
      TICKET_STATE_TTL_SECONDS,
      this.pulseGap,
      limits.maxSkip,
      ADMISSIONS_STREAM_MAXLEN,
    ];
    for (const h of heads) args.push(h.uuid, h.partition, h.offset, h.timestamp);
    const command = (this.redis as unknown as { wrAdmitDecide: DecideCommand }).wrAdmitDecide;
    const [codes, stop] = await command.call(this.redis, keys.length, ...keys, ...args);
    return { outcomes: codes.split('') as Outcome[], stop: stop as DecideResult['stop'] };
  }

  /** The line's runtime settings; absent or invalid fields fall back to the env defaults. */
  async settings(line: string): Promise<LineSettings> {
    const [rate, burst, maxActive] = await this.redis.hmget(
      RedisKeys.lineSettings(line),
      'ratePerSec',
      'burst',
      'maxActive',
    );
    // 0 pauses the line (no live admissions; skips still advance).
    return readLineSettings({ ratePerSec: rate, burst, maxActive }, this.env).settings;
  }
}

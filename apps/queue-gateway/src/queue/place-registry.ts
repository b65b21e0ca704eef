import { Inject, Injectable } from '@nestjs/common';
import Redis from 'ioredis';
import { RedisKeys } from '@app/queue';
import { REDIS } from '@app/redis';

/** How long a claimed place may stay "being written" before another request may take it. */
export const PLACE_PENDING_MS = 15_000;

const PENDING = 'pending:';

// GET, or claim an empty slot for this writer.
const CLAIM = `
local v = redis.call('GET', KEYS[1])
if v then return v end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return false`;

// Compare-and-set (ARGV[2] = '' deletes).
const SWAP = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if ARGV[2] == '' then redis.call('DEL', KEYS[1]) else redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) end
return 1`;

export type PlaceClaim =
  /** Nobody holds a place: this writer does now (`token` names its claim). */
  | { kind: 'claimed'; token: string }
  /** Another request of the user is writing a place right now. */
  | { kind: 'pending' }
  /** The user's current ticket for this line. */
  | { kind: 'ticket'; ticket: string };

/**
 * One place per user and line, across every gateway: `line:{code}:user:{id}`
 * holds the user's current ticket (or a short "being written" claim). A
 * repeated first request gets the same ticket back instead of a second place;
 * only once that ticket has ended (cancelled, abandoned, spent, expired, lost)
 * may the user take a new one, replacing it by compare-and-set so two
 * concurrent requests never both write.
 */
@Injectable()
export class PlaceRegistry {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  async claim(line: string, userId: string, writer: string): Promise<PlaceClaim> {
    const token = `${PENDING}${writer}`;
    const held = (await this.redis.eval(
      CLAIM,
      1,
      RedisKeys.userPlace(line, userId),
      token,
      PLACE_PENDING_MS,
    )) as string | null;
    if (held === null) return { kind: 'claimed', token };
    return held.startsWith(PENDING) ? { kind: 'pending' } : { kind: 'ticket', ticket: held };
  }

  /** Replaces an ended ticket with this writer's claim; false if someone else changed it first. */
  async takeOver(
    line: string,
    userId: string,
    ended: string,
    writer: string,
  ): Promise<string | null> {
    const token = `${PENDING}${writer}`;
    return (await this.swap(line, userId, ended, token, PLACE_PENDING_MS)) ? token : null;
  }

  /** The claim became a ticket: remember it for as long as a ticket lives. */
  async settle(line: string, userId: string, token: string, ticket: string, ttlMs: number) {
    await this.swap(line, userId, token, ticket, ttlMs);
  }

  /** Nothing was written: let the next request try. */
  async release(line: string, userId: string, token: string): Promise<void> {
    await this.swap(line, userId, token, '', 0);
  }

  private async swap(line: string, userId: string, from: string, to: string, ttlMs: number) {
    const done = await this.redis.eval(SWAP, 1, RedisKeys.userPlace(line, userId), from, to, ttlMs);
    return done === 1;
  }
}

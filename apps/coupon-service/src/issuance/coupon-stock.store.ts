import { Inject, Injectable } from '@nestjs/common';
import type Redis from 'ioredis';
import { REDIS } from '@app/redis';

/**
 * Redis' view of each coupon: who holds it. One hash per coupon,
 * `coupon:{code}:holders`, maps user id -> `i` (issued: PostgreSQL has the row)
 * or `p:<fence>` (reserved by the lock holder with that fence, insert in flight).
 * remaining = quantity - HLEN. `coupon:{code}:ready` holds the epoch the hash
 * was rebuilt under; without it nothing is reserved (the hash may be partial).
 *
 * A reservation is one atomic HSET-if-room, so stock cannot go below zero and a
 * user cannot take two, whatever the interleaving across instances.
 */
export type PrecheckOutcome = 'go' | 'already' | 'sold_out' | 'not_ready';
export type ReserveOutcome =
  | { outcome: 'reserved'; epoch: number }
  | { outcome: 'already' }
  | { outcome: 'sold_out' }
  | { outcome: 'not_ready' };

const PRECHECK = `
if not redis.call('GET', KEYS[2]) then return 'not_ready' end
local v = redis.call('HGET', KEYS[1], ARGV[1])
if v == 'i' then return 'already' end
if v then return 'go' end
if redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[2]) then return 'sold_out' end
return 'go'`;

// A pending entry of the same user can only belong to a holder whose lease has
// expired (we hold the user's lock now): take it over rather than spend stock twice.
const RESERVE = `
local epoch = redis.call('GET', KEYS[2])
if not epoch then return {'not_ready', '0'} end
local v = redis.call('HGET', KEYS[1], ARGV[1])
if v == 'i' then return {'already', epoch} end
if not v and redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[3]) then return {'sold_out', epoch} end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return {'reserved', epoch}`;

// Gives a reservation back only if it is still the one this holder made.
const GIVE_BACK = `
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then return redis.call('HDEL', KEYS[1], ARGV[1]) end
return 0`;

// Drops a view only if it is still the one built under this epoch.
const INVALIDATE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

// KEYS[1] names the Redis server (run id) the views were built on; the other
// keys are the views' ready markers. A different server (a restart, a failover)
// may hold an older copy of the views: drop the markers, so each is rebuilt.
const ADOPT_SERVER = `
local seen = redis.call('GET', KEYS[1])
if seen == ARGV[1] then return 0 end
for i = 2, #KEYS do redis.call('DEL', KEYS[i]) end
redis.call('SET', KEYS[1], ARGV[1])
if seen then return 1 end
return 2`;

type StockCommands = {
  couponPrecheck(holders: string, ready: string, userId: string, quantity: number): Promise<string>;
  couponReserve(
    holders: string,
    ready: string,
    userId: string,
    mark: string,
    quantity: number,
  ): Promise<[string, string]>;
  couponGiveBack(holders: string, userId: string, mark: string): Promise<number>;
  couponInvalidate(ready: string, epoch: string): Promise<number>;
  couponAdoptServer(numKeys: number, ...keysAndRunId: string[]): Promise<number>;
};

export const ISSUED = 'i';
export const pendingMark = (fence: number): string => `p:${fence}`;

@Injectable()
export class CouponStockStore {
  private readonly redis: Redis & StockCommands;

  constructor(@Inject(REDIS) redis: Redis) {
    if (!(redis as Partial<StockCommands>).couponPrecheck) {
      redis.defineCommand('couponPrecheck', { numberOfKeys: 2, lua: PRECHECK });
      redis.defineCommand('couponReserve', { numberOfKeys: 2, lua: RESERVE });
      redis.defineCommand('couponGiveBack', { numberOfKeys: 1, lua: GIVE_BACK });
      redis.defineCommand('couponInvalidate', { numberOfKeys: 1, lua: INVALIDATE });
      redis.defineCommand('couponAdoptServer', { lua: ADOPT_SERVER });
    }
    this.redis = redis as Redis & StockCommands;
  }

  holdersKey(code: string): string {
    return `coupon:${code}:holders`;
  }

  readyKey(code: string): string {
    return `coupon:${code}:ready`;
  }

  async precheck(code: string, userId: string, quantity: number): Promise<PrecheckOutcome> {
    return (await this.redis.couponPrecheck(
      this.holdersKey(code),
      this.readyKey(code),
      userId,
      quantity,
    )) as PrecheckOutcome;
  }

  async reserve(
    code: string,
    userId: string,
    fence: number,
    quantity: number,
  ): Promise<ReserveOutcome> {
    const [outcome, epoch] = await this.redis.couponReserve(
      this.holdersKey(code),
      this.readyKey(code),
      userId,
      pendingMark(fence),
      quantity,
    );
    if (outcome === 'reserved') return { outcome, epoch: Number(epoch) };
    return { outcome } as ReserveOutcome;
  }

  async markIssued(code: string, userIds: string | string[]): Promise<void> {
    const ids = Array.isArray(userIds) ? userIds : [userIds];
    for (let i = 0; i < ids.length; i += 1000) {
      const chunk = ids.slice(i, i + 1000);
      await this.redis.hset(
        this.holdersKey(code),
        Object.fromEntries(chunk.map((u) => [u, ISSUED])),
      );
    }
  }

  async giveBack(code: string, userId: string, mark: string): Promise<boolean> {
    return (await this.redis.couponGiveBack(this.holdersKey(code), userId, mark)) === 1;
  }

  /** Drops the view built under `epoch` (it was found wrong): the next request rebuilds it. */
  async invalidate(code: string, epoch: number): Promise<boolean> {
    return (await this.redis.couponInvalidate(this.readyKey(code), String(epoch))) === 1;
  }

  /**
   * Makes sure the views were built on the Redis server answering now. Redis
   * restarted from an AOF written every second, or a replica promoted while
   * behind, keeps the ready markers but may have lost recent reservations and
   * issued marks; its run id differs from the one recorded at the last check,
   * so every view is dropped and rebuilt from PostgreSQL. Answers 'changed'
   * when views were dropped for that reason, 'first' on a first check.
   */
  async adoptServer(codes: string[]): Promise<'same' | 'changed' | 'first'> {
    const info = await this.redis.info('server');
    const runId = /^run_id:(\w+)/m.exec(info)?.[1];
    if (!runId) throw new Error('Redis INFO has no run_id');
    const keys = ['coupon:view:server', ...codes.map((c) => this.readyKey(c))];
    const result = await this.redis.couponAdoptServer(keys.length, ...keys, runId);
    return result === 0 ? 'same' : result === 1 ? 'changed' : 'first';
  }

  async readyEpoch(code: string): Promise<number | null> {
    const value = await this.redis.get(this.readyKey(code));
    return value === null ? null : Number(value);
  }

  async markOf(code: string, userId: string): Promise<string | null> {
    return this.redis.hget(this.holdersKey(code), userId);
  }

  async held(code: string): Promise<number> {
    return this.redis.hlen(this.holdersKey(code));
  }

  async holders(code: string): Promise<Record<string, string>> {
    return this.redis.hgetall(this.holdersKey(code));
  }

  /** Replaces the whole view with `issuedUsers` under `epoch`, atomically. */
  async replace(code: string, epoch: number, issuedUsers: string[]): Promise<void> {
    const tx = this.redis.multi().del(this.holdersKey(code));
    for (let i = 0; i < issuedUsers.length; i += 1000) {
      const chunk = issuedUsers.slice(i, i + 1000);
      tx.hset(this.holdersKey(code), Object.fromEntries(chunk.map((u) => [u, ISSUED])));
    }
    tx.set(this.readyKey(code), String(epoch));
    await tx.exec();
  }
}

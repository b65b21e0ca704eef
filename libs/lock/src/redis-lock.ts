import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type Redis from 'ioredis';

/**
 * A held lock. `fence` is a fencing token: strictly greater than the fence of
 * every earlier acquisition in this lock's namespace. The resource the lock
 * protects must remember the highest fence it has accepted and refuse a write
 * carrying a lower one; that, not the TTL, is what stops a holder that was
 * paused past its TTL (GC, network, a stopped VM) from writing after a newer
 * holder has taken over.
 */
export interface LockLease {
  readonly resource: string;
  /** The Redis key (without the client's keyPrefix). */
  readonly key: string;
  /** 128 random bits; only the holder knows it, so only the holder can release. */
  readonly token: string;
  readonly fence: number;
  readonly ttlMs: number;
}

export interface AcquireOptions {
  ttlMs: number;
  /** How long to keep trying before giving up (0 = one attempt). */
  waitMs?: number;
  /** Base delay between attempts; a random jitter of the same size is added. */
  retryDelayMs?: number;
}

// SET NX PX and INCR of the fence counter in one atomic step, so every holder
// gets a fence and no fence is handed out without the lock.
const ACQUIRE = `
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return redis.call('INCR', KEYS[2])
end
return 0`;

// Compare-and-delete: a holder whose lease expired (and was re-acquired by
// someone else) must not delete the new holder's lock.
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

const EXTEND = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`;

// Raise (never lower) the fence counter, e.g. to the highest fence a store has
// seen after Redis lost its data, so new fences stay above every accepted one.
const RAISE_FENCE = `
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
local floor = tonumber(ARGV[1])
if floor > current then redis.call('SET', KEYS[1], floor) return floor end
return current`;

type LockCommands = {
  wrLockAcquire(lockKey: string, fenceKey: string, token: string, ttlMs: number): Promise<number>;
  wrLockRelease(lockKey: string, token: string): Promise<number>;
  wrLockExtend(lockKey: string, token: string, ttlMs: number): Promise<number>;
  wrLockRaiseFence(fenceKey: string, floor: number): Promise<number>;
};

/**
 * A single-Redis lock with fencing tokens (written here rather than taken from
 * npm: redlock and friends give random tokens, TTLs and safe release, but no
 * fencing token, and a lock without one cannot protect a write from a holder
 * whose lease expired while it was paused).
 *
 * Keys live under the Redis client's keyPrefix: `${namespace}:${resource}` for
 * each lock and `${namespace}:fence` for the namespace's fence counter. One
 * counter per namespace keeps fences monotonic per resource without a counter
 * key per resource (which could expire, or be forgotten, and restart at 1).
 */
export class RedisLock {
  private readonly redis: Redis & LockCommands;
  readonly fenceKey: string;

  constructor(
    redis: Redis,
    readonly namespace = 'lock',
  ) {
    const commands = redis as Redis & Partial<LockCommands>;
    if (!commands.wrLockAcquire) {
      redis.defineCommand('wrLockAcquire', { numberOfKeys: 2, lua: ACQUIRE });
      redis.defineCommand('wrLockRelease', { numberOfKeys: 1, lua: RELEASE });
      redis.defineCommand('wrLockExtend', { numberOfKeys: 1, lua: EXTEND });
      redis.defineCommand('wrLockRaiseFence', { numberOfKeys: 1, lua: RAISE_FENCE });
    }
    this.redis = redis as Redis & LockCommands;
    this.fenceKey = `${namespace}:fence`;
  }

  keyOf(resource: string): string {
    return `${this.namespace}:${resource}`;
  }

  /** One attempt; null when someone else holds the lock. */
  async tryAcquire(resource: string, ttlMs: number): Promise<LockLease | null> {
    const key = this.keyOf(resource);
    const token = randomBytes(16).toString('base64url');
    const fence = Number(
      await this.redis.wrLockAcquire(key, this.fenceKey, token, Math.ceil(ttlMs)),
    );
    return fence > 0 ? { resource, key, token, fence, ttlMs } : null;
  }

  /** Retries with jittered back-off until `waitMs` has passed; null if the lock stayed taken. */
  async acquire(resource: string, options: AcquireOptions): Promise<LockLease | null> {
    const deadline = Date.now() + (options.waitMs ?? 0);
    const delay = options.retryDelayMs ?? 10;
    for (;;) {
      const lease = await this.tryAcquire(resource, options.ttlMs);
      if (lease) return lease;
      const left = deadline - Date.now();
      if (left <= 0) return null;
      await sleep(Math.min(left, delay + Math.random() * delay));
    }
  }

  /** True when the lease was still ours and is now released; false if it had expired or was taken over. */
  async release(lease: Pick<LockLease, 'key' | 'token'>): Promise<boolean> {
    return (await this.redis.wrLockRelease(lease.key, lease.token)) === 1;
  }

  /** Pushes the expiry out to `ttlMs` from now, only while the lease is still ours. */
  async extend(lease: LockLease, ttlMs = lease.ttlMs): Promise<boolean> {
    return (await this.redis.wrLockExtend(lease.key, lease.token, Math.ceil(ttlMs))) === 1;
  }

  /** Whether the lease is still the current holder (advisory: it can expire right after). */
  async isHeld(lease: Pick<LockLease, 'key' | 'token'>): Promise<boolean> {
    return (await this.redis.get(lease.key)) === lease.token;
  }

  async isLocked(resource: string): Promise<boolean> {
    return (await this.redis.exists(this.keyOf(resource))) === 1;
  }

  /** Ensures the next fence handed out is greater than `floor`. */
  async raiseFence(floor: number): Promise<number> {
    return Number(await this.redis.wrLockRaiseFence(this.fenceKey, Math.floor(floor)));
  }
}

import { Injectable, Logger } from '@nestjs/common';
import { Env } from '@app/config';
import { IssueCouponCommand, IssueCouponResult, userIdProblem } from '@app/contracts';
import { LockLease, RedisLock } from '@app/lock';
import { CouponCatalog } from './coupon-catalog.service';
import { CouponMetrics } from './coupon.metrics';
import { CouponStockStore, pendingMark } from './coupon-stock.store';
import { CouponRepository, FencedInsertResult } from './coupon.repository';
import { issueLockResource } from './lock-resources';
import { StockReconciler } from './stock-reconciler.service';

/** pg-pool's error when no connection became free in time (the query was never sent). */
const isPoolCheckoutTimeout = (error: unknown): boolean =>
  (error as Error)?.message === 'timeout exceeded when trying to connect';

/**
 * Issues one coupon to one user.
 *
 * Lock scope: one lock per (coupon, user), not per coupon. The invariants are
 * (1) at most `quantity` issued and (2) at most one per user. (1) is kept by an
 * atomic reserve-if-room in Redis (one Lua call, no lock needed), which answers
 * most of a spike, and guaranteed by PostgreSQL's own stock rows taken in the
 * insert's transaction, so Redis losing writes cannot oversell; (2) by the
 * per-user lock plus UNIQUE(coupon_code, user_id). A per-coupon lock would put
 * every issue of the coupon behind one PostgreSQL round trip (the write-ups'
 * 60-180 issues/s); per-user locks only serialise a user's own duplicates.
 *
 * The lock's fence is checked by the INSERT itself (lock_fence table, same
 * statement), so a holder whose lease expired cannot write after a newer
 * holder (another request of the user, or the reconciler) has taken over.
 *
 * Stock is spent only by a reservation that leads to an insert: duplicates,
 * sold-out and lock timeouts return before reserving, and a refused insert
 * gives its reservation back (compare-and-delete on this holder's mark).
 */
@Injectable()
export class IssueCouponUseCase {
  private readonly logger = new Logger(IssueCouponUseCase.name);

  constructor(
    private readonly env: Env,
    private readonly catalog: CouponCatalog,
    private readonly stock: CouponStockStore,
    private readonly repository: CouponRepository,
    private readonly lock: RedisLock,
    private readonly reconciler: StockReconciler,
    private readonly metrics: CouponMetrics,
  ) {}

  async execute(cmd: IssueCouponCommand): Promise<IssueCouponResult> {
    const stop = this.metrics.duration.startTimer();
    let outcome = 'error';
    try {
      const result = await this.issue(cmd);
      outcome = result.outcome;
      return result;
    } finally {
      this.metrics.issued.inc({ outcome });
      stop({ outcome });
    }
  }

  private async issue(cmd: IssueCouponCommand, retried = false): Promise<IssueCouponResult> {
    const problem = userIdProblem(cmd?.userId);
    if (problem) return { outcome: 'invalid', message: problem };
    const coupon = await this.catalog.find(cmd.code);
    if (!coupon) return { outcome: 'unknown_coupon', couponCode: String(cmd.code) };
    const { code, quantity } = coupon;
    const userId = cmd.userId;

    // Cheap answers first, without a lock: most of a spike is sold-out or repeats.
    const pre = await this.stock.precheck(code, userId, quantity);
    if (pre === 'already') return { outcome: 'already_issued', couponCode: code, userId };
    if (pre === 'sold_out') return { outcome: 'sold_out', couponCode: code };
    if (pre === 'not_ready') return this.afterRebuild(cmd, retried);

    const lease = await this.lock.acquire(issueLockResource(code, userId), {
      ttlMs: this.env.COUPON_LOCK_TTL_MS,
      waitMs: this.env.COUPON_LOCK_WAIT_MS,
      retryDelayMs: 5,
    });
    if (!lease) return { outcome: 'busy', retryAfterSeconds: 1 };
    let result: IssueCouponResult | 'not_ready';
    try {
      result = await this.issueLocked(code, userId, quantity, lease);
    } finally {
      await this.lock.release(lease).catch(() => undefined);
    }
    // Rebuild only after letting go of the lock: the retry takes it again.
    return result === 'not_ready' ? this.afterRebuild(cmd, retried) : result;
  }

  /** Steps 4-6, under the (coupon, user) lease. */
  private async issueLocked(
    code: string,
    userId: string,
    quantity: number,
    lease: LockLease,
  ): Promise<IssueCouponResult | 'not_ready'> {
    const reservation = await this.stock.reserve(code, userId, lease.fence, quantity);
    if (reservation.outcome === 'already')
      return { outcome: 'already_issued', couponCode: code, userId };
    if (reservation.outcome === 'sold_out') return { outcome: 'sold_out', couponCode: code };
    if (reservation.outcome === 'not_ready') return 'not_ready';

    const mark = pendingMark(lease.fence);
    // An error here (PostgreSQL unreachable, connection lost mid-commit) is
    // ambiguous: the row may exist. The reservation stays; the reconciler
    // settles it against PostgreSQL once this lease has expired.
    let written: FencedInsertResult;
    try {
      written = await this.repository.insertFenced({
        code,
        userId,
        epoch: reservation.epoch,
        lockKey: lease.key,
        fence: lease.fence,
      });
    } catch (error) {
      if (!isPoolCheckoutTimeout(error)) throw error;
      // No connection was ever given to the query: certainly not written.
      await this.stock.giveBack(code, userId, mark);
      return { outcome: 'busy', retryAfterSeconds: 1 };
    }
    if (written.outcome === 'issued') {
      await this.stock.markIssued(code, userId);
      return {
        outcome: 'issued',
        walletId: written.walletId,
        couponCode: code,
        userId,
        issuedAt: written.issuedAt.toISOString(),
      };
    }
    if (written.outcome === 'duplicate') {
      // PostgreSQL already had the row (Redis had lost the mark): it is the truth.
      await this.stock.markIssued(code, userId);
      return { outcome: 'already_issued', couponCode: code, userId };
    }
    // Nothing was written by us from here on.
    await this.stock.giveBack(code, userId, mark);
    if (written.outcome === 'sold_out') {
      // Redis let through more than PostgreSQL holds: it lost writes (a restart
      // from an older AOF, a failover to a replica that was behind). Its view is
      // wrong; the next request rebuilds it from PostgreSQL.
      this.logger.warn(`issue ${code}: PostgreSQL is sold out but Redis was not; rebuilding`);
      await this.stock.invalidate(code, reservation.epoch);
      return { outcome: 'sold_out', couponCode: code };
    }
    if (written.outcome === 'busy') return { outcome: 'busy', retryAfterSeconds: 1 };
    // Refused by fence or epoch.
    if (await this.repository.hasWallet(code, userId)) {
      return { outcome: 'already_issued', couponCode: code, userId };
    }
    this.logger.warn(
      `issue ${code}/${userId}: write refused (lease fenced out or epoch changed), answering busy`,
    );
    return { outcome: 'busy', retryAfterSeconds: 1 };
  }

  /** Redis has no complete view of the coupon (first start, or Redis lost its data): rebuild, then try once more. */
  private async afterRebuild(
    cmd: IssueCouponCommand,
    retried: boolean,
  ): Promise<IssueCouponResult> {
    if (retried) return { outcome: 'busy', retryAfterSeconds: 1 };
    // Bounded wait: another instance may be rebuilding; the client retries on 503.
    if (!(await this.reconciler.ensureReady(String(cmd.code), this.env.COUPON_LOCK_WAIT_MS))) {
      return { outcome: 'busy', retryAfterSeconds: 1 };
    }
    return this.issue(cmd, true);
  }
}

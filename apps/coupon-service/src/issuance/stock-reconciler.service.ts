import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import type Redis from 'ioredis';
import { Env } from '@app/config';
import { RedisLock } from '@app/lock';
import { REDIS } from '@app/redis';
import { CouponCatalog } from './coupon-catalog.service';
import { CouponStockStore, ISSUED } from './coupon-stock.store';
import { CouponRepository } from './coupon.repository';
import { issueLockResource, rebuildLockResource } from './lock-resources';

const REBUILD_LEASE_MS = 10_000;
/** Every this many rounds a coupon's view is compared holder by holder even when the counts agree. */
const FULL_PASS_EVERY = 6;
/** Fences are pruned at most this often (or every retention period, if shorter). */
const PRUNE_EVERY_MS = 60_000;

export interface ReconcileReport {
  code: string;
  rebuilt: boolean;
  issuedMarked: number;
  reclaimed: number;
  settledIssued: number;
}

/**
 * Keeps Redis' holders view equal to PostgreSQL, the source of truth, while
 * other instances keep issuing:
 *
 * - rebuild (no `ready` key: first start, or Redis lost its data): bump the
 *   coupon's epoch in PostgreSQL (waits for in-flight inserts and refuses any
 *   later one reserved under the old epoch), then replace the hash with the
 *   users PostgreSQL says hold the coupon, and raise the fence counter above
 *   every fence PostgreSQL has accepted;
 * - reconcile (ready): mark every PostgreSQL holder as issued, and settle each
 *   reservation whose lock has expired (its holder crashed or stalled): take the
 *   user's lock, write its newer fence to PostgreSQL (so the old holder can no
 *   longer insert), then keep it as issued if the row exists, else give it back.
 *
 * Before each round it checks that Redis is still the server the views were
 * built on (run id); a restarted or promoted server drops them all.
 *
 * Runs at start, after every reconnect and every COUPON_RECONCILE_INTERVAL_MS, one instance per
 * coupon at a time (a rebuild lock).
 */
@Injectable()
export class StockReconciler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(StockReconciler.name);
  private readonly inFlight = new Map<string, Promise<ReconcileReport | null>>();
  private readonly rounds = new Map<string, number>();
  private lastPrune = 0;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly env: Env,
    private readonly catalog: CouponCatalog,
    private readonly stock: CouponStockStore,
    private readonly repository: CouponRepository,
    private readonly lock: RedisLock,
    @Inject(REDIS) private readonly redis: Redis,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.repository.warmUp(this.env.POSTGRES_POOL_SIZE);
    await this.catalog.load();
    await this.reconcileAll();
    // A reconnect may be to a restarted or promoted server: check at once, not
    // at the next interval.
    this.redis.on('ready', this.onReconnect);
    this.timer = setInterval(() => {
      this.reconcileAll().catch((e) =>
        this.logger.warn(`reconcile failed: ${(e as Error).message}`),
      );
    }, this.env.COUPON_RECONCILE_INTERVAL_MS);
    this.timer.unref();
  }

  private readonly onReconnect = (): void => {
    this.reconcileAll().catch((e) =>
      this.logger.warn(`reconcile after reconnect failed: ${(e as Error).message}`),
    );
  };

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
    this.redis.off('ready', this.onReconnect);
  }

  async reconcileAll(): Promise<ReconcileReport[]> {
    await this.checkServer();
    const reports: ReconcileReport[] = [];
    for (const code of this.catalog.codes()) {
      const report = await this.reconcile(code);
      if (report) reports.push(report);
    }
    await this.pruneFences();
    return reports;
  }

  /** lock_fence keeps one row per (coupon, user) lock: rows past COUPON_FENCE_RETENTION_SECONDS go. */
  private async pruneFences(): Promise<void> {
    const retention = this.env.COUPON_FENCE_RETENTION_SECONDS;
    const now = Date.now();
    if (now - this.lastPrune < Math.min(PRUNE_EVERY_MS, retention * 1000)) return;
    this.lastPrune = now;
    const deleted = await this.repository.pruneFences(retention);
    if (deleted > 0) this.logger.log(`pruned ${deleted} lock fences older than ${retention} s`);
  }

  /** Drops every view if Redis is not the server they were built on (see CouponStockStore.adoptServer). */
  async checkServer(): Promise<void> {
    const seen = await this.stock.adoptServer(this.catalog.codes());
    if (seen === 'changed') {
      this.logger.warn(
        'Redis restarted or failed over: rebuilding every coupon view from PostgreSQL',
      );
    }
  }

  /**
   * Tries, for about `waitMs`, to give the coupon a complete Redis view
   * (rebuilding it if needed); false if another instance is still at it.
   */
  async ensureReady(code: string, waitMs: number): Promise<boolean> {
    // A run already in flight may have started before the view was lost: look again after it.
    for (let attempt = 0; attempt < 2; attempt++) {
      if ((await this.stock.readyEpoch(code)) !== null) return true;
      await this.reconcile(code, waitMs);
    }
    return (await this.stock.readyEpoch(code)) !== null;
  }

  /** Single-flight per coupon inside this process; null when another instance holds the rebuild lock. */
  reconcile(code: string, waitMs = 0): Promise<ReconcileReport | null> {
    const running = this.inFlight.get(code);
    if (running) return running;
    const run = this.run(code, waitMs).finally(() => this.inFlight.delete(code));
    this.inFlight.set(code, run);
    return run;
  }

  private async run(code: string, waitMs: number): Promise<ReconcileReport | null> {
    const coupon = await this.catalog.find(code);
    if (!coupon) return null;
    // A run takes well under a second; a short lease means an instance killed
    // mid-run delays the next one by seconds, not a minute. Two runs overlapping
    // (a run outliving its lease) is still safe: every step is idempotent and
    // fenced, the lock only saves duplicate work.
    const lease = await this.lock.acquire(rebuildLockResource(code), {
      ttlMs: REBUILD_LEASE_MS,
      waitMs,
      retryDelayMs: 50,
    });
    if (!lease) return null;
    try {
      const report: ReconcileReport = {
        code,
        rebuilt: false,
        issuedMarked: 0,
        reclaimed: 0,
        settledIssued: 0,
      };
      if ((await this.stock.readyEpoch(code)) === null) {
        const epoch = await this.repository.bumpEpoch(code);
        const users = await this.repository.holders(code);
        await this.lock.raiseFence(await this.repository.maxFence());
        await this.stock.replace(code, epoch, users);
        this.logger.log(`rebuilt ${code} from PostgreSQL: epoch ${epoch}, ${users.length} issued`);
        return { ...report, rebuilt: true, issuedMarked: users.length };
      }
      // Holder by holder only when the counts disagree (a crashed holder's
      // reservation, a lost mark), or every FULL_PASS_EVERY rounds: a round
      // that finds nothing to do costs two small reads, not the whole wallet.
      const round = (this.rounds.get(code) ?? 0) + 1;
      this.rounds.set(code, round);
      if (
        round % FULL_PASS_EVERY !== 0 &&
        (await this.stock.held(code)) === (await this.repository.issuedCount(code))
      ) {
        return report;
      }
      const users = await this.repository.holders(code);
      await this.stock.markIssued(code, users);
      report.issuedMarked = users.length;
      const issuedSet = new Set(users);
      for (const [userId, mark] of Object.entries(await this.stock.holders(code))) {
        if (mark === ISSUED || issuedSet.has(userId)) continue;
        const settled = await this.settle(code, userId, mark);
        if (settled === 'reclaimed') report.reclaimed++;
        if (settled === 'issued') report.settledIssued++;
      }
      if (report.reclaimed || report.settledIssued) {
        this.logger.warn(
          `reconciled ${code}: ${report.reclaimed} reservations given back, ${report.settledIssued} confirmed`,
        );
      }
      return report;
    } finally {
      await this.lock.release(lease).catch(() => undefined);
    }
  }

  private async settle(
    code: string,
    userId: string,
    mark: string,
  ): Promise<'reclaimed' | 'issued' | 'skipped'> {
    // A live holder still has the lock; only an abandoned reservation is settled.
    const lease = await this.lock.tryAcquire(
      issueLockResource(code, userId),
      this.env.COUPON_LOCK_TTL_MS,
    );
    if (!lease) return 'skipped';
    try {
      // The holder may have finished between our read and our lock (the usual case).
      if ((await this.stock.markOf(code, userId)) !== mark) return 'skipped';
      await this.repository.advanceFence(lease.key, lease.fence);
      if (await this.repository.hasWallet(code, userId)) {
        await this.stock.markIssued(code, userId);
        return 'issued';
      }
      return (await this.stock.giveBack(code, userId, mark)) ? 'reclaimed' : 'skipped';
    } finally {
      await this.lock.release(lease).catch(() => undefined);
    }
  }
}

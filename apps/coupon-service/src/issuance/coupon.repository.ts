import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Pool } from 'pg';
import { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import { WalletEntry } from '@app/contracts';
import { STOCK_SLOTS } from '../database/migrations/1763769600002-stock-guard';

export interface CouponRow {
  code: string;
  name: string;
  discount: number;
  quantity: number;
  epoch: number;
}

export type FencedInsertResult =
  | { outcome: 'issued'; walletId: string; issuedAt: Date }
  | { outcome: 'duplicate' }
  /** Refused: a newer lock holder has written (fence) or Redis was rebuilt since the reservation (epoch). */
  | { outcome: 'stale' }
  /** PostgreSQL has no stock left: Redis' view let through more than it holds. */
  | { outcome: 'sold_out' }
  /** Every slot with stock stayed busy for the bounded number of tries. */
  | { outcome: 'busy' };

// One round trip: the fence check, the epoch check, taking one unit of
// PostgreSQL's own stock and the insert, in one transaction (the plpgsql
// function `coupon_issue`, migration StockGuard1763769600002, explains each
// outcome). UNIQUE(coupon_code, user_id) stays the final guard against a
// second coupon for one user; CHECK(remaining >= 0) on coupon_stock against
// more than `quantity`, whatever Redis believes.
const INSERT_FENCED = `SELECT outcome, wallet_id, issued_at FROM coupon_issue($1, $2, $3, $4, $5, $6)`;

/** Every PostgreSQL access of the coupon service. PostgreSQL is the source of truth. */
@Injectable()
export class CouponRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /**
   * The pg pool under TypeORM, for the one statement on the hot path: run as a
   * named prepared statement, PostgreSQL parses and plans it once per connection
   * instead of on every issue.
   */
  private pool(): Pool {
    return (this.db.driver as PostgresDriver).master as Pool;
  }

  async coupons(): Promise<CouponRow[]> {
    return this.db.query(`SELECT code, name, discount, quantity, epoch FROM coupon ORDER BY code`);
  }

  async coupon(code: string): Promise<CouponRow | null> {
    const rows: CouponRow[] = await this.db.query(
      `SELECT code, name, discount, quantity, epoch FROM coupon WHERE code = $1`,
      [code],
    );
    return rows[0] ?? null;
  }

  async insertFenced(args: {
    code: string;
    userId: string;
    epoch: number;
    lockKey: string;
    fence: number;
  }): Promise<FencedInsertResult> {
    const rows: { outcome: string; wallet_id: string | null; issued_at: Date | null }[] =
      await this.pool()
        .query({
          name: 'coupon_issue',
          text: INSERT_FENCED,
          values: [
            args.code,
            args.epoch,
            args.lockKey,
            args.fence,
            args.userId,
            args.fence % STOCK_SLOTS,
          ],
        })
        .then((r) => r.rows);
    const row = rows[0];
    if (row?.outcome === 'issued' && row.wallet_id && row.issued_at) {
      return { outcome: 'issued', walletId: row.wallet_id, issuedAt: row.issued_at };
    }
    if (row?.outcome === 'duplicate' || row?.outcome === 'sold_out' || row?.outcome === 'busy') {
      return { outcome: row.outcome };
    }
    return { outcome: 'stale' };
  }

  /** Records `fence` for `lockKey` unless a higher one was recorded: fences out older holders. */
  async advanceFence(lockKey: string, fence: number): Promise<boolean> {
    const rows: unknown[] = await this.db.query(
      `INSERT INTO lock_fence (lock_key, fence, updated_at) VALUES ($1, $2, now())
       ON CONFLICT (lock_key) DO UPDATE SET fence = EXCLUDED.fence, updated_at = now()
         WHERE lock_fence.fence <= EXCLUDED.fence
       RETURNING fence`,
      [lockKey, fence],
    );
    return rows.length === 1;
  }

  async maxFence(): Promise<number> {
    const rows: { max: string | null }[] = await this.db.query(
      `SELECT max(fence)::text AS max FROM lock_fence`,
    );
    return Number(rows[0]?.max ?? 0);
  }

  async hasWallet(code: string, userId: string): Promise<boolean> {
    const rows: unknown[] = await this.db.query(
      `SELECT 1 FROM coupon_wallet WHERE coupon_code = $1 AND user_id = $2`,
      [code, userId],
    );
    return rows.length > 0;
  }

  /** Starts a new epoch; waits for in-flight issues of the old one (they hold share locks). */
  async bumpEpoch(code: string): Promise<number> {
    // TypeORM answers an UPDATE with [rows, affectedCount].
    const [rows] = (await this.db.query(
      `UPDATE coupon SET epoch = epoch + 1, updated_at = now() WHERE code = $1 RETURNING epoch`,
      [code],
    )) as [{ epoch: number }[], number];
    return rows[0]!.epoch;
  }

  async holders(code: string): Promise<string[]> {
    const rows: { user_id: string }[] = await this.db.query(
      `SELECT user_id FROM coupon_wallet WHERE coupon_code = $1`,
      [code],
    );
    return rows.map((r) => r.user_id);
  }

  /** How many of the coupon PostgreSQL has issued (quantity minus its stock rows: no wallet scan). */
  async issuedCount(code: string): Promise<number> {
    const rows: { n: number }[] = await this.db.query(
      `SELECT c.quantity - coalesce(sum(s.remaining), 0)::int AS n
       FROM coupon c LEFT JOIN coupon_stock s ON s.coupon_code = c.code
       WHERE c.code = $1 GROUP BY c.quantity`,
      [code],
    );
    return rows[0]?.n ?? 0;
  }

  /**
   * Forgets fences of locks last written before `olderThanSeconds` ago (at most
   * `limit` rows a call). A lease lasts COUPON_LOCK_TTL_MS; a holder stalled for
   * longer than the retention, with its write still to come, is what a pruned
   * fence would let through, and the epoch and stock checks still hold then.
   */
  async pruneFences(olderThanSeconds: number, limit = 10_000): Promise<number> {
    const [, deleted] = (await this.db.query(
      `DELETE FROM lock_fence WHERE lock_key IN (
         SELECT lock_key FROM lock_fence WHERE updated_at < now() - make_interval(secs => $1) LIMIT $2)`,
      [olderThanSeconds, limit],
    )) as [unknown, number];
    return deleted;
  }

  async issuedCounts(): Promise<Map<string, number>> {
    const rows: { coupon_code: string; n: number }[] = await this.db.query(
      `SELECT coupon_code, count(*)::int AS n FROM coupon_wallet GROUP BY coupon_code`,
    );
    return new Map(rows.map((r) => [r.coupon_code, r.n]));
  }

  async wallet(userId: string): Promise<WalletEntry[]> {
    const rows: { coupon_code: string; id: string; issued_at: Date; used_at: Date | null }[] =
      await this.db.query(
        `SELECT coupon_code, id, issued_at, used_at FROM coupon_wallet WHERE user_id = $1 ORDER BY issued_at, coupon_code`,
        [userId],
      );
    return rows.map((r) => ({
      couponCode: r.coupon_code,
      walletId: r.id,
      issuedAt: r.issued_at.toISOString(),
      usedAt: r.used_at ? r.used_at.toISOString() : null,
    }));
  }

  /** Opens `connections` pool connections now, so a spike does not wait for connects. */
  async warmUp(connections: number): Promise<void> {
    await Promise.all(
      Array.from({ length: connections }, () => this.db.query('SELECT pg_sleep(0.01)')),
    );
  }

  async ping(): Promise<void> {
    await this.db.query('SELECT 1');
  }
}

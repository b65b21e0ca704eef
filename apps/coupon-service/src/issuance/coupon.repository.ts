import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Pool } from 'pg';
import { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import { WalletEntry } from '@app/contracts';

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
  | { outcome: 'stale' };

// One statement, so the fence check, the epoch check and the insert are
// atomic without a BEGIN/COMMIT round trip each:
// - `c` share-locks the coupon row at the reserving epoch. Concurrent issues
//   share the lock (no serialisation); a rebuild's UPDATE of the epoch waits
//   for them and every later insert from an older epoch finds no row.
// - `f` records the fence for the lock key only if no higher fence was written
//   before (the current holder may write again); a stale holder's lower fence
//   gets no row.
// - `w` inserts only when `f` produced a row; UNIQUE(coupon_code, user_id) is
//   the final guard against a second coupon for one user.
const INSERT_FENCED = `
WITH c AS (
  SELECT code FROM coupon WHERE code = $1 AND epoch = $2 FOR SHARE
), f AS (
  INSERT INTO lock_fence (lock_key, fence, updated_at) SELECT $3, $4, now() FROM c
  ON CONFLICT (lock_key) DO UPDATE SET fence = EXCLUDED.fence, updated_at = now()
    WHERE lock_fence.fence <= EXCLUDED.fence
  RETURNING fence
), w AS (
  INSERT INTO coupon_wallet (coupon_code, user_id) SELECT $1, $5 FROM f
  ON CONFLICT (coupon_code, user_id) DO NOTHING
  RETURNING id, issued_at
)
SELECT (SELECT count(*) FROM f)::int AS fenced, (SELECT id FROM w) AS id, (SELECT issued_at FROM w) AS issued_at`;

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
    const rows: { fenced: number; id: string | null; issued_at: Date | null }[] = await this.pool()
      .query({
        name: 'coupon_insert_fenced',
        text: INSERT_FENCED,
        values: [args.code, args.epoch, args.lockKey, args.fence, args.userId],
      })
      .then((r) => r.rows);
    const row = rows[0];
    if (!row || row.fenced === 0) return { outcome: 'stale' };
    if (row.id === null || row.issued_at === null) return { outcome: 'duplicate' };
    return { outcome: 'issued', walletId: row.id, issuedAt: row.issued_at };
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

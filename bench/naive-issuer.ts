import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { Pool } from 'pg';

/**
 * The original write-ups' way, kept only as the benchmark's baseline: one
 * Redis SETNX lock per coupon around check-then-insert in PostgreSQL
 * (count the wallet, check the user, insert), no unique constraint. Every
 * issue of a coupon is serialised behind two database round trips plus the lock.
 * Lives in its own database; the lock keys carry the bench's own prefix.
 */
export class NaiveIssuer {
  constructor(
    private readonly pool: Pool,
    private readonly redis: Redis,
  ) {}

  async setup(code: string, quantity: number): Promise<void> {
    await this.pool.query(
      'CREATE TABLE IF NOT EXISTS naive_coupon (code text PRIMARY KEY, quantity int NOT NULL)',
    );
    await this.pool.query(
      'CREATE TABLE IF NOT EXISTS naive_wallet (id bigserial PRIMARY KEY, code text NOT NULL, user_id text NOT NULL)',
    );
    await this.pool.query('INSERT INTO naive_coupon (code, quantity) VALUES ($1, $2)', [
      code,
      quantity,
    ]);
  }

  async issue(code: string, userId: string): Promise<'issued' | 'already_issued' | 'sold_out'> {
    const key = `naive-lock:${code}`;
    const token = randomBytes(8).toString('hex');
    // spin on SETNX like the write-ups do
    while ((await this.redis.set(key, token, 'PX', 5000, 'NX')) !== 'OK') {
      await new Promise((r) => setTimeout(r, 2));
    }
    try {
      const { rows } = await this.pool.query<{ issued: string; mine: string; quantity: number }>(
        `SELECT (SELECT count(*) FROM naive_wallet WHERE code = $1) AS issued,
                (SELECT count(*) FROM naive_wallet WHERE code = $1 AND user_id = $2) AS mine,
                (SELECT quantity FROM naive_coupon WHERE code = $1) AS quantity`,
        [code, userId],
      );
      const row = rows[0];
      if (Number(row.mine) > 0) return 'already_issued';
      if (Number(row.issued) >= row.quantity) return 'sold_out';
      await this.pool.query('INSERT INTO naive_wallet (code, user_id) VALUES ($1, $2)', [
        code,
        userId,
      ]);
      return 'issued';
    } finally {
      await this.redis.del(key);
    }
  }

  async count(code: string): Promise<number> {
    const { rows } = await this.pool.query<{ n: string }>(
      'SELECT count(*) AS n FROM naive_wallet WHERE code = $1',
      [code],
    );
    return Number(rows[0].n);
  }
}

import { Injectable } from '@nestjs/common';
import { CouponRepository, CouponRow } from './coupon.repository';

const CODE_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;

/**
 * Coupon definitions (code, name, discount, quantity) rarely change, so they
 * are cached in memory; a code not in the cache is looked up once in PostgreSQL
 * (a coupon created after start), and unknown codes are remembered briefly so a
 * flood of bad codes cannot turn into a flood of queries.
 */
@Injectable()
export class CouponCatalog {
  private readonly known = new Map<string, CouponRow>();
  private readonly unknown = new Map<string, number>();

  constructor(private readonly repository: CouponRepository) {}

  async load(): Promise<CouponRow[]> {
    const rows = await this.repository.coupons();
    for (const row of rows) this.known.set(row.code, row);
    return rows;
  }

  codes(): string[] {
    return [...this.known.keys()].sort();
  }

  async find(code: unknown): Promise<CouponRow | null> {
    if (typeof code !== 'string' || !CODE_PATTERN.test(code)) return null;
    const cached = this.known.get(code);
    if (cached) return cached;
    if ((this.unknown.get(code) ?? 0) > Date.now()) return null;
    const row = await this.repository.coupon(code);
    if (row) this.known.set(code, row);
    else {
      if (this.unknown.size > 10_000) this.unknown.clear();
      this.unknown.set(code, Date.now() + 5000);
    }
    return row;
  }
}

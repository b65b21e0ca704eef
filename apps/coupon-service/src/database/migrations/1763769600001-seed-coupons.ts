import { MigrationInterface, QueryRunner } from 'typeorm';

/** The event from the original write-ups (shared/seeds/). */
export class SeedCoupons1763769600001 implements MigrationInterface {
  name = 'SeedCoupons1763769600001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      INSERT INTO coupon (code, name, discount, quantity, max_per_user) VALUES
        ('A0001', '10,000 won off', 10000,   300, 1),
        ('B0001',  '5,000 won off',  5000,  2000, 1),
        ('C0001',  '1,000 won off',  1000, 10000, 1)
      ON CONFLICT (code) DO NOTHING`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM coupon WHERE code IN ('A0001', 'B0001', 'C0001')`);
  }
}

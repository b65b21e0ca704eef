import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateCouponTables1763769600000 implements MigrationInterface {
  name = 'CreateCouponTables1763769600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE coupon (
        code         varchar(32)  PRIMARY KEY,
        name         varchar(200) NOT NULL,
        discount     integer      NOT NULL CHECK (discount >= 0),
        quantity     integer      NOT NULL CHECK (quantity >= 0),
        max_per_user integer      NOT NULL DEFAULT 1 CHECK (max_per_user >= 1),
        epoch        integer      NOT NULL DEFAULT 0,
        created_at   timestamptz  NOT NULL DEFAULT now(),
        updated_at   timestamptz  NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE coupon_wallet (
        id          uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
        coupon_code varchar(32) NOT NULL REFERENCES coupon(code) ON DELETE RESTRICT,
        user_id     varchar(64) NOT NULL,
        issued_at   timestamptz NOT NULL DEFAULT now(),
        used_at     timestamptz NULL,
        CONSTRAINT uq_coupon_wallet_coupon_user UNIQUE (coupon_code, user_id)
      )`);
    await q.query(`CREATE INDEX ix_coupon_wallet_user ON coupon_wallet (user_id)`);
    await q.query(`
      CREATE TABLE lock_fence (
        lock_key   varchar(200) PRIMARY KEY,
        fence      bigint       NOT NULL,
        updated_at timestamptz  NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE lock_fence`);
    await q.query(`DROP TABLE coupon_wallet`);
    await q.query(`DROP TABLE coupon`);
  }
}

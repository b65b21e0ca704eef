import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryColumn,
  PrimaryGeneratedColumn,
  Unique,
  UpdateDateColumn,
} from 'typeorm';

@Entity('coupon')
export class CouponEntity {
  @PrimaryColumn({ type: 'varchar', length: 32 })
  code: string;

  @Column({ type: 'varchar', length: 200 })
  name: string;

  /** Discount amount in won. */
  @Column({ type: 'integer' })
  discount: number;

  @Column({ type: 'integer' })
  quantity: number;

  @Column({ name: 'max_per_user', type: 'integer', default: 1 })
  maxPerUser: number;

  /**
   * Bumped when Redis' view of this coupon is rebuilt from scratch; an issue
   * reserved under an older epoch is refused by the insert (see
   * CouponRepository.insertFenced), so a rebuild never races an in-flight issue.
   */
  @Column({ type: 'integer', default: 0 })
  epoch: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}

@Entity('coupon_wallet')
@Unique('uq_coupon_wallet_coupon_user', ['couponCode', 'userId'])
@Index('ix_coupon_wallet_user', ['userId'])
export class CouponWalletEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'coupon_code', type: 'varchar', length: 32 })
  couponCode: string;

  @ManyToOne(() => CouponEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'coupon_code', referencedColumnName: 'code' })
  coupon?: CouponEntity;

  @Column({ name: 'user_id', type: 'varchar', length: 64 })
  userId: string;

  @Column({ name: 'issued_at', type: 'timestamptz', default: () => 'now()' })
  issuedAt: Date;

  @Column({ name: 'used_at', type: 'timestamptz', nullable: true })
  usedAt: Date | null;
}

/**
 * The highest lock fence each lock key has written with. A write carrying a
 * lower fence than the stored one comes from a holder whose lease expired and
 * is refused in the same statement as the write it guards.
 */
@Entity('lock_fence')
export class LockFenceEntity {
  @PrimaryColumn({ name: 'lock_key', type: 'varchar', length: 200 })
  lockKey: string;

  @Column({ type: 'bigint' })
  fence: string;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}

export const entities = [CouponEntity, CouponWalletEntity, LockFenceEntity];

export * from './coupon.contracts';

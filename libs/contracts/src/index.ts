export * from './coupon.contracts';
export * from './coupon-client';
export * from './coupon-http';

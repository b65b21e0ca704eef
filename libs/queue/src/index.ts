export * from './line';
export * from './redis-keys';

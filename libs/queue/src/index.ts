export * from './line';
export * from './redis-keys';
export * from './pulse';

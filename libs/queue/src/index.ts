export * from './line';
export * from './redis-keys';
export * from './pulse';
export * from './draw';
export * from './arrival';

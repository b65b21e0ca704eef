export * from './kafka.client';
export * from './kafka.module';

export * from './kafka.client';
export * from './kafka-security';
export * from './kafka.module';
export * from './line-consumer';
export * from './whole-topic-assigner';
export * from './ticket-log';
export * from './offsets-view';
export * from './read-topic';

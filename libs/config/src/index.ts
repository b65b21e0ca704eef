export * from './env';
export * from './load-env';
export * from './config.module';
export * from './tls';

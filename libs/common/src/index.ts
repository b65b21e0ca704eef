export * from './errors';
export * from './exception.filter';
export * from './validation';
export * from './metrics';
export * from './logging';
export * from './http-app';
export * from './timeout';
export * from './bootstrap';

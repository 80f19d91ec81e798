export * from './errors';
export * from './logger';
export * from './shadow/local-server';
export * from './tracking';

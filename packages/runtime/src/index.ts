// What every service (gateway and subgraphs) needs to run. See ../README.md.
export * from './cache-policy.js';
export * from './config.js';
export * from './errors.js';
export * from './error-format.js';
export * from './going-away.js';
export * from './http.js';
export * from './logger.js';
export * from './printable.js';
export * from './redis.js';
export * from './request-scope.js';
export * from './service.js';
export * from './trace-context.js';
export * from './service-client.js';

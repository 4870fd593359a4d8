// Read-through caching in Redis shared by every instance of a service, dropped by writes.
// Used by the catalog only; see ../README.md.
export * from './cache-deps.js';
export * from './config.js';
export * from './entity-cache.js';
export * from './listing-cache.js';
export * from './observe.js';
export * from './stats.js';

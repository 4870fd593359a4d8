// Rate limits over time, on Redis, shared by every instance. See ../README.md.
export * from './rate-limit.js';

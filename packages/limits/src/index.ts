// Operation limits applied before execution, at the gateway and in each subgraph. See ../README.md.
export * from './config.js';
export * from './cost.js';
export * from './limit-error.js';
export * from './operation-limits.js';
export * from './rules.js';

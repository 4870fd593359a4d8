// Observability for every service: Prometheus metrics (prom-client). See ../README.md.
export * from './graphql-metrics.js';
export * from './metrics-endpoint.js';
export * from './mongo-metrics.js';
export * from './operation-label.js';
export * from './service-metrics.js';

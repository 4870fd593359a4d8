// Observability for every service. Metrics: ./metrics.ts; traces: ./tracing.ts.
export {};

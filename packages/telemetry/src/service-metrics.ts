import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Seconds: from a cached read (1 ms) to a checkout that waited on retries (10 s). */
export const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** A reading of a value that some other part of the service already keeps (a count, a size). */
export type Reading = readonly [labels: Record<string, string>, value: number];

/**
 * One service's metrics: its own prom-client registry (so tests can run several services in one
 * process without their counts mixing), every series labelled with the service's name, and Node's
 * process metrics (event-loop lag, heap, RSS, handles) on it.
 */
export class ServiceMetrics {
  readonly registry = new Registry();

  constructor(readonly service: string) {
    this.registry.setDefaultLabels({ service });
    // Event-loop lag is sampled at 20 ms resolution: fine enough to see a blocked loop, cheap to keep.
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 20 });
  }

  counter<L extends string>(name: string, help: string, labelNames: readonly L[] = []): Counter<L> {
    return new Counter({ name, help, labelNames, registers: [this.registry] });
  }

  histogram<L extends string>(name: string, help: string, labelNames: readonly L[], buckets: number[] = LATENCY_BUCKETS): Histogram<L> {
    return new Histogram({ name, help, labelNames, buckets, registers: [this.registry] });
  }

  gauge<L extends string>(name: string, help: string, labelNames: readonly L[] = []): Gauge<L> {
    return new Gauge({ name, help, labelNames, registers: [this.registry] });
  }

  /** A gauge read at scrape time from what the service already tracks (open sockets, subscriptions). */
  observedGauge(name: string, help: string, labelNames: readonly string[], read: () => Iterable<Reading>): void {
    new Gauge({
      name,
      help,
      labelNames,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [labels, value] of read()) this.set(labels, value);
      },
    });
  }

  /**
   * A counter read at scrape time from a running total the service already keeps (shared in-flight
   * requests, relayed events), so the hot path pays nothing more than it did.
   */
  observedCounter(name: string, help: string, labelNames: readonly string[], read: () => Iterable<Reading>): void {
    new Counter({
      name,
      help,
      labelNames,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [labels, value] of read()) this.inc(labels, value);
      },
    });
  }

  /** The Prometheus text exposition of everything registered. */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

import { describe, expect, it } from 'vitest';
import { createLogger } from '@supergraph/runtime';
import { exposeMetrics, metricsExposure } from './metrics-endpoint.js';
import { ServiceMetrics } from './service-metrics.js';

const silent = createLogger('unit', 'silent');

describe('where /metrics is served', () => {
  it('on METRICS_PORT when set; else on the own port outside production and nowhere in production', () => {
    expect(metricsExposure('production', 9464)).toEqual({ on: 'metrics-port', port: 9464 });
    expect(metricsExposure('development', 9464)).toEqual({ on: 'metrics-port', port: 9464 });
    expect(metricsExposure('development', undefined)).toEqual({ on: 'own-port' });
    expect(metricsExposure('test', undefined)).toEqual({ on: 'own-port' });
    expect(metricsExposure('production', undefined)).toEqual({ on: 'nowhere' });
  });

  it('serves only GET /metrics on a port of its own, in Prometheus text', async () => {
    const metrics = new ServiceMetrics('unit');
    metrics.counter('unit_things_total', 'Things').inc(3);
    const exposed = await exposeMetrics(metrics, { nodeEnv: 'production', metricsPort: 0, host: '127.0.0.1' }, silent);
    try {
      expect(exposed.onOwnPort).toBeUndefined();
      const url = exposed.url('http://unused')!;
      const response = await fetch(url);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      expect(await response.text()).toContain('unit_things_total{service="unit"} 3');
      expect((await fetch(url.replace('/metrics', '/graphql'))).status).toBe(404);
      expect((await fetch(url, { method: 'POST' })).status).toBe(404);
    } finally {
      await exposed.close();
    }
  });

  it('is not served at all in production without METRICS_PORT', async () => {
    const exposed = await exposeMetrics(
      new ServiceMetrics('unit'),
      { nodeEnv: 'production', metricsPort: undefined, host: '127.0.0.1' },
      silent,
    );
    expect(exposed.onOwnPort).toBeUndefined();
    expect(exposed.url('http://localhost:4000')).toBeNull();
  });
});

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '@supergraph/runtime';
import type { ServiceMetrics } from './service-metrics.js';

/** Where a service's /metrics is served (ServiceConfig.metricsPort decides). */
export type MetricsExposure = { on: 'own-port' } | { on: 'metrics-port'; port: number } | { on: 'nowhere' };

export function metricsExposure(nodeEnv: string, metricsPort: number | undefined): MetricsExposure {
  if (metricsPort !== undefined) return { on: 'metrics-port', port: metricsPort };
  return nodeEnv === 'production' ? { on: 'nowhere' } : { on: 'own-port' };
}

export interface MetricsServer {
  url: string;
  close(): Promise<void>;
}

/** Serves only GET /metrics on a port of its own (METRICS_PORT), for Prometheus inside the network. */
export async function serveMetrics(metrics: ServiceMetrics, port: number, host: string, logger: Logger): Promise<MetricsServer> {
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' || new URL(req.url ?? '/', 'http://localhost').pathname !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('only GET /metrics is served here\n');
      return;
    }
    metrics.render().then(
      ({ contentType, body }) => res.writeHead(200, { 'content-type': contentType }).end(body),
      (error: unknown) => {
        logger.error('metrics could not be rendered', { error });
        res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics could not be rendered\n');
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const shownHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
  return {
    url: `http://${shownHost}:${address.port}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** How a service exposes its metrics, decided once at start-up. */
export interface ExposedMetrics {
  /** For createGraphQLHandler's `metrics` option: set when /metrics is served on the service's own port. */
  onOwnPort: (() => Promise<{ contentType: string; body: string }>) | undefined;
  /** Where Prometheus finds them, for the start-up log line; null when nowhere. */
  url(ownUrl: string): string | null;
  close(): Promise<void>;
}

/** Serves `metrics` as METRICS_PORT and NODE_ENV say (see metricsExposure). */
export async function exposeMetrics(
  metrics: ServiceMetrics,
  settings: { nodeEnv: string; metricsPort: number | undefined; host: string },
  logger: Logger,
): Promise<ExposedMetrics> {
  const exposure = metricsExposure(settings.nodeEnv, settings.metricsPort);
  if (exposure.on === 'metrics-port') {
    const server = await serveMetrics(metrics, exposure.port, settings.host, logger);
    return { onOwnPort: undefined, url: () => server.url, close: () => server.close() };
  }
  if (exposure.on === 'nowhere') {
    logger.info('metrics are not served: set METRICS_PORT to a port Prometheus can reach and the public cannot');
    return { onOwnPort: undefined, url: () => null, close: async () => {} };
  }
  return { onOwnPort: () => metrics.render(), url: (ownUrl) => `${ownUrl}/metrics`, close: async () => {} };
}

import { createRequire } from 'node:module';
import { SpanKind } from '@opentelemetry/api';
import type * as Http from 'node:http';
import type { AddressInfo } from 'node:net';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadInstrumentations } from './tracing.js';
import { redactedUndiciUrl, redactUrl } from './url-redaction.js';

describe('redactUrl', () => {
  it('keeps scheme, host, port and path, and replaces credentials and the query string by REDACTED', () => {
    expect(redactUrl('https://acct:s3cret@sms.example:8443/v1/send?apikey=k3y&from=BHARAT#top')).toBe(
      'https://REDACTED:REDACTED@sms.example:8443/v1/send?REDACTED',
    );
    expect(redactUrl('http://127.0.0.1:4001/graphql')).toBe('http://127.0.0.1:4001/graphql');
    expect(redactUrl('not a url?key=k3y')).toBe('REDACTED');
  });

  it('gives the undici instrumentation a url.full and url.query without the query', () => {
    expect(redactedUndiciUrl({ origin: 'https://sms.example', path: '/send?apikey=k3y' })).toEqual({
      'url.full': 'https://sms.example/send?REDACTED',
      'url.query': 'REDACTED',
    });
    expect(redactedUndiciUrl({ origin: 'http://127.0.0.1:4001', path: '/graphql' })).toEqual({
      'url.full': 'http://127.0.0.1:4001/graphql',
      'url.query': '',
    });
  });
});

// The services' own instrumentations, recording into memory: what a span of an outgoing call keeps of its URL.
describe('spans of outgoing calls', () => {
  const exporter = new InMemorySpanExporter();
  let sdk: NodeSDK;
  let http: typeof Http;
  let server: Http.Server;
  let origin = '';

  beforeAll(async () => {
    // Spans only, into memory: no metrics or logs exporter (they would try localhost:4318), and no
    // resource detectors (their attributes arrive late, and spans wait for them before export).
    process.env.OTEL_METRICS_EXPORTER = 'none';
    process.env.OTEL_LOGS_EXPORTER = 'none';
    sdk = new NodeSDK({
      instrumentations: await loadInstrumentations(),
      spanProcessors: [new SimpleSpanProcessor({ exporter })],
      resourceDetectors: [],
    });
    sdk.start();
    // Required after the SDK started, so the http instrumentation has patched the module.
    http = createRequire(import.meta.url)('node:http') as typeof Http;
    server = http.createServer((_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await sdk.shutdown();
  });

  /** Every attribute of every client span recorded since the last call, as text. */
  const clientSpans = () => {
    const spans = exporter.getFinishedSpans().filter((span) => span.kind === SpanKind.CLIENT);
    exporter.reset();
    return spans;
  };

  it('fetch (undici): url.full and url.query hold no query string', async () => {
    await (await fetch(`http://${origin}/sms?apikey=k3y-undici`, { method: 'POST', body: '{}' })).text();
    const spans = clientSpans();
    expect(spans).toHaveLength(1);
    expect(spans[0].attributes['url.full']).toBe(`http://${origin}/sms?REDACTED`);
    expect(spans[0].attributes['url.query']).toBe('REDACTED');
    expect(JSON.stringify(spans.map((span) => [span.name, span.attributes, span.events]))).not.toContain('k3y');
  });

  it('node:http: url.full holds neither credentials nor the query string', async () => {
    await new Promise<void>((resolve, reject) => {
      const request = http.request(`http://acct:s3cret@${origin}/sms?apikey=k3y-http&sig=abc`, { method: 'POST' }, (response) => {
        response.resume();
        response.on('end', resolve);
      });
      request.on('error', reject);
      request.end('{}');
    });
    const spans = clientSpans();
    expect(spans).toHaveLength(1);
    expect(spans[0].attributes['url.full']).toBe(`http://${origin}/sms?REDACTED`);
    expect(JSON.stringify(spans.map((span) => [span.name, span.attributes, span.events]))).not.toMatch(/k3y|s3cret|acct/);
  });
});

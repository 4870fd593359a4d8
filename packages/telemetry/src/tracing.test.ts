import { trace } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { flushTracingOnStop, startTracing, tracesProtocol, tracingRequested } from './tracing.js';

describe('tracingRequested', () => {
  it('is on only with an OTLP endpoint, and off when the SDK or the traces exporter is switched off', () => {
    expect(tracingRequested({})).toBe(false);
    expect(tracingRequested({ OTEL_SERVICE_NAME: 'gateway', OTEL_TRACES_SAMPLER: 'always_on' })).toBe(false);
    expect(tracingRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: '  ' })).toBe(false);
    expect(tracingRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toBe(true);
    expect(tracingRequested({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' })).toBe(true);
    expect(tracingRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_SDK_DISABLED: 'true' })).toBe(false);
    expect(tracingRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_TRACES_EXPORTER: 'none' })).toBe(false);
  });
});

describe('tracesProtocol', () => {
  it('defaults to http/protobuf, prefers the traces-only variable, and names the choices when given another', () => {
    expect(tracesProtocol({})).toBe('http/protobuf');
    expect(tracesProtocol({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' })).toBe('http/json');
    expect(tracesProtocol({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'grpc' })).toBe('grpc');
    expect(() => tracesProtocol({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/xml' })).toThrow(
      'OTEL_EXPORTER_OTLP_PROTOCOL is "http/xml"; expected one of http/protobuf, http/json, grpc',
    );
  });
});

describe('startTracing without OTLP variables', () => {
  it('starts no SDK and no exporter: spans are not recorded, and stopping does nothing more', async () => {
    const env: Record<string, string | undefined> = {};
    const tracing = await startTracing('unit', env);
    expect(tracing.enabled).toBe(false);
    // Nothing set the service name or registered a provider: the API's no-op tracer is all there is.
    expect(env.OTEL_SERVICE_NAME).toBeUndefined();
    const span = trace.getTracer('unit').startSpan('work');
    expect(span.isRecording()).toBe(false);
    span.end();

    const stops: string[] = [];
    const service = { stop: async () => void stops.push('service') };
    expect(flushTracingOnStop(service, tracing)).toBe(service);
    await service.stop();
    expect(stops).toEqual(['service']);
  });

  it('refuses a protocol it cannot export with before anything starts', async () => {
    await expect(
      startTracing('unit', { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_EXPORTER_OTLP_PROTOCOL: 'thrift' }),
    ).rejects.toThrow(/expected one of/);
  });
});

describe('flushTracingOnStop', () => {
  it('stops the service first, then flushes the spans, even when the service failed to stop', async () => {
    const order: string[] = [];
    const tracing = { enabled: true, shutdown: async () => void order.push('flush') };
    const service = {
      stop: async () => {
        order.push('service');
        throw new Error('database already closed');
      },
    };
    await expect(flushTracingOnStop(service, tracing).stop()).rejects.toThrow('database already closed');
    expect(order).toEqual(['service', 'flush']);
  });
});

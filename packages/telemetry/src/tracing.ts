// OpenTelemetry tracing for a service, started before anything it traces is imported.
//
// Nothing here is imported eagerly: a service without OTLP variables loads neither the SDK nor the
// module hooks, so tracing costs it one environment check.
import { register } from 'node:module';
import { redactedUndiciUrl, redactOutgoingHttpUrl } from './url-redaction.js';

type Env = Record<string, string | undefined>;

/** What a service's start-up learns about its tracing. */
export interface Tracing {
  /** True when spans are recorded and exported over OTLP. */
  readonly enabled: boolean;
  /** `http/protobuf` or `http/json` (or `grpc`) when enabled. */
  readonly protocol?: string;
  /** Flushes the spans not yet exported, then stops the SDK (a no-op when disabled). */
  shutdown(): Promise<void>;
}

const DISABLED: Tracing = { enabled: false, shutdown: async () => {} };

/**
 * Tracing runs only when an OTLP endpoint is configured, as the OpenTelemetry environment
 * variables say: OTEL_EXPORTER_OTLP_ENDPOINT (or its traces-only form), unless OTEL_SDK_DISABLED
 * is true or OTEL_TRACES_EXPORTER is none. The SDK's own default (export to localhost:4318
 * whatever the environment) would make every laptop and test run try to send spans nowhere.
 */
export function tracingRequested(env: Env = process.env): boolean {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return false;
  if (env.OTEL_TRACES_EXPORTER?.trim().toLowerCase() === 'none') return false;
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim());
}

/** The protocols this service can export with, as OTEL_EXPORTER_OTLP_PROTOCOL spells them. */
const PROTOCOLS = ['http/protobuf', 'http/json', 'grpc'];

export function tracesProtocol(env: Env = process.env): string {
  const protocol = (env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? env.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/protobuf').trim();
  if (!PROTOCOLS.includes(protocol)) {
    throw new Error(`OTEL_EXPORTER_OTLP_PROTOCOL is "${protocol}"; expected one of ${PROTOCOLS.join(', ')}`);
  }
  return protocol;
}

/**
 * Starts the OpenTelemetry Node SDK for `service` when tracing is requested: W3C trace context in
 * and out, the http, undici, graphql, DataLoader, MongoDB and ioredis instrumentations, OTLP export
 * by the standard variables (endpoint, protocol, headers, OTEL_TRACES_SAMPLER and its argument),
 * and OTEL_SERVICE_NAME defaulting to the service's name.
 *
 * Call it, and await it, before importing the service's modules: ESM imports are hooked (through
 * import-in-the-middle, limited to the instrumented packages) only from this point on.
 */
export async function startTracing(service: string, env: Env = process.env): Promise<Tracing> {
  if (!tracingRequested(env)) return DISABLED;
  const protocol = tracesProtocol(env);
  // The SDK reads the service name from the environment; the service's own name is the default.
  if (!env.OTEL_SERVICE_NAME?.trim()) env.OTEL_SERVICE_NAME = service;

  const { createAddHookMessageChannel } = await import('import-in-the-middle');
  const { registerOptions, waitForAllMessagesAcknowledged } = createAddHookMessageChannel();
  register('import-in-the-middle/hook.mjs', import.meta.url, registerOptions);

  const [{ NodeSDK }, instrumentations] = await Promise.all([import('@opentelemetry/sdk-node'), loadInstrumentations()]);
  const sdk = new NodeSDK({ serviceName: env.OTEL_SERVICE_NAME, instrumentations });
  sdk.start();
  await waitForAllMessagesAcknowledged();
  return { enabled: true, protocol, shutdown: () => sdk.shutdown() };
}

/** The instrumentations every service traces with (exported for the tests of what they record). */
export async function loadInstrumentations() {
  const [http, undici, graphql, dataloader, mongodb, ioredis] = await Promise.all([
    import('@opentelemetry/instrumentation-http'),
    import('@opentelemetry/instrumentation-undici'),
    import('@opentelemetry/instrumentation-graphql'),
    import('@opentelemetry/instrumentation-dataloader'),
    import('@opentelemetry/instrumentation-mongodb'),
    import('@opentelemetry/instrumentation-ioredis'),
  ]);
  return [
    new http.HttpInstrumentation({
      // Probes and scrapes are not requests anyone traces; their spans would drown the rest.
      ignoreIncomingRequestHook: (request) => /^\/(health|ready|live|metrics)\b/.test(request.url ?? ''),
      // A GraphQL GET carries the operation and its variables (an email, a phone) in the query string.
      redactedQueryParams: ['query', 'variables', 'extensions', 'operationName'],
      // An outgoing URL's query string and credentials may hold a key (SMS_WEBHOOK_URL's often does).
      requestHook: redactOutgoingHttpUrl,
    }),
    new undici.UndiciInstrumentation({ startSpanHook: redactedUndiciUrl }),
    new graphql.GraphQLInstrumentation({
      // Resolvers that only read a property of their parent are most of a response's fields and
      // none of its time: only resolvers that do work get a span.
      ignoreTrivialResolveSpans: true,
      mergeItems: true,
    }),
    new dataloader.DataloaderInstrumentation(),
    // Database and Redis commands are traced inside a request's trace only; the outbox relay's and
    // the sweeper's polling would otherwise be a stream of one-span traces. The MongoDB statement
    // keeps the query's shape and replaces every value with '?'.
    new mongodb.MongoDBInstrumentation({ requireParentSpan: true }),
    // Command names only: keys and arguments hold client addresses, user and session ids.
    new ioredis.IORedisInstrumentation({ requireParentSpan: true, dbStatementSerializer: (command) => command }),
  ];
}

/** For a service's index.ts: starts tracing, or exits 1 saying why its configuration is wrong. */
export async function startTracingOrExit(service: string): Promise<Tracing> {
  try {
    return await startTracing(service);
  } catch (error) {
    process.stderr.write(`${service}: failed to start: ${(error as Error).message}\n`);
    process.exit(1);
  }
}

/** `service`, whose stop also sends the spans not yet exported (the last requests of a deploy). */
export function flushTracingOnStop<S extends { stop(): Promise<void> }>(service: S, tracing: Tracing): S {
  if (!tracing.enabled) return service;
  const stop = service.stop.bind(service);
  service.stop = async () => {
    try {
      await stop();
    } finally {
      await tracing.shutdown().catch(() => {});
    }
  };
  return service;
}

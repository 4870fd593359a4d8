import { flushTracingOnStop, startTracingOrExit } from '@supergraph/telemetry/tracing';

// Tracing starts before the service's own modules are imported: only imports made after it are instrumented.
const tracing = await startTracingOrExit('worker');
const { runService } = await import('@supergraph/runtime');
const { loadWorkerConfig, start } = await import('./server.js');

runService('worker', async () => flushTracingOnStop(await start(loadWorkerConfig()), tracing));

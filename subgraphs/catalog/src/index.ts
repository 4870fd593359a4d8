import { flushTracingOnStop, startTracingOrExit } from '@supergraph/telemetry/tracing';

// Tracing starts before the service's own modules are imported: only imports made after it are instrumented.
const tracing = await startTracingOrExit('catalog');
const { runService } = await import('@supergraph/runtime');
const { loadCatalogConfig, start } = await import('./server.js');

runService('catalog', async () => flushTracingOnStop(await start(loadCatalogConfig()), tracing));

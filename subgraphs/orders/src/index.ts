import { flushTracingOnStop, startTracingOrExit } from '@supergraph/telemetry/tracing';

// Tracing starts before the service's own modules are imported: only imports made after it are instrumented.
const tracing = await startTracingOrExit('orders');
const { runService } = await import('@supergraph/runtime');
const { loadOrdersConfig, start } = await import('./server.js');

runService('orders', async () => flushTracingOnStop(await start(loadOrdersConfig()), tracing));

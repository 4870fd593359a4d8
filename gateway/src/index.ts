import { flushTracingOnStop, startTracingOrExit } from '@supergraph/telemetry/tracing';

// Tracing starts before the service's own modules are imported: only imports made after it are instrumented.
const tracing = await startTracingOrExit('gateway');
const { runService } = await import('@supergraph/runtime');
const { loadGatewayConfig, start } = await import('./server.js');

runService('gateway', async () => flushTracingOnStop(await start(loadGatewayConfig()), tracing));

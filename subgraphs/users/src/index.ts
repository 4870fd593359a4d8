import { flushTracingOnStop, startTracingOrExit } from '@supergraph/telemetry/tracing';

// Tracing starts before the service's own modules are imported: only imports made after it are instrumented.
const tracing = await startTracingOrExit('users');
const { runService } = await import('@supergraph/runtime');
const { loadUsersConfig, start } = await import('./server.js');

runService('users', async () => flushTracingOnStop(await start(loadUsersConfig()), tracing));

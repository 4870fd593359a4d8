import { runService } from '@supergraph/runtime';
import { loadGatewayConfig, start } from './server.js';

runService('gateway', () => start(loadGatewayConfig()));

import { runService } from '@supergraph/shared';
import { loadGatewayConfig, start } from './server.js';

runService('gateway', () => start(loadGatewayConfig()));

import { runService } from '@supergraph/shared';
import { loadOrdersConfig, start } from './server.js';

runService('orders', () => start(loadOrdersConfig()));

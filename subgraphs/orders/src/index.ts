import { runService } from '@supergraph/runtime';
import { loadOrdersConfig, start } from './server.js';

runService('orders', () => start(loadOrdersConfig()));

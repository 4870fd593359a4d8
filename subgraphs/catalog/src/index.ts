import { runService } from '@supergraph/runtime';
import { loadCatalogConfig, start } from './server.js';

runService('catalog', () => start(loadCatalogConfig()));

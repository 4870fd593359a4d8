import { runService } from '@supergraph/shared';
import { loadCatalogConfig, start } from './server.js';

runService('catalog', () => start(loadCatalogConfig()));

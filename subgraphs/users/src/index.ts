import { runService } from '@supergraph/shared';
import { loadUsersConfig, start } from './server.js';

runService('users', () => start(loadUsersConfig()));

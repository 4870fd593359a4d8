import { runService } from '@supergraph/runtime';
import { loadUsersConfig, start } from './server.js';

runService('users', () => start(loadUsersConfig()));

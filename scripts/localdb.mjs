#!/usr/bin/env node
// `npm run localdb`: runs only the local database (FerretDB), with its data in
// .localdb/data like `npm start`, for tools or services started by hand.
// Ctrl-C (or SIGTERM) stops it.
import { join } from 'node:path';
import { root, startLocalDb, withDatabase } from './lib/localdb.mjs';

const log = (msg) => console.log(`[localdb] ${msg}`);

let db;
let stopping = false;

async function shutdown(code) {
  stopping = true;
  await db?.stop().catch(() => {});
  process.exit(code);
}

process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));

try {
  db = await startLocalDb(join(root, '.localdb/data'), log);
} catch (error) {
  console.error(`[localdb] ${error.message}`);
  process.exit(1);
}
// The database going away by itself (a crash) must not leave this script looking alive.
db.child.once('exit', (code, signal) => {
  if (stopping) return;
  console.error(`[localdb] the database exited by itself (${signal ?? `code ${code}`})`);
  process.exit(1);
});
// The same database name npm start uses, so both see the same data.
const uri = withDatabase(db.uri, 'supergraph');
log(`ready at ${uri}`);
log(`to run the services against it: MONGODB_URI=${uri} npm start`);

// Builds (once) and starts the project's local MongoDB-wire database:
// FerretDB 1.24.2 embedded in tools/localdb, behind its command-serialising proxy.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { stopChild } from './child-process.mjs';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const sourceDir = join(root, 'tools/localdb');
export const binaryPath = join(root, '.localdb/bin/localdb');

function newestSourceTime() {
  return Math.max(...readdirSync(sourceDir).map((f) => statSync(join(sourceDir, f)).mtimeMs));
}

const binaryIsCurrent = () => existsSync(binaryPath) && statSync(binaryPath).mtimeMs >= newestSourceTime();

function announceBuild(log) {
  const go = spawnSync('go', ['version'], { encoding: 'utf8' });
  if (go.status !== 0) {
    throw new Error('Go is needed to build the local database (tools/localdb); install Go 1.24+ or set MONGODB_URI to a MongoDB server');
  }
  log('building the local database (FerretDB 1.24.2, first time only; this can take a few minutes)...');
  mkdirSync(dirname(binaryPath), { recursive: true });
}

const BUILD_FAILED = 'building tools/localdb failed (see the go output above)';

/** Builds the binary when it is missing or older than its Go sources (the first build takes a few minutes). */
export function ensureLocalDbBinary(log = console.log) {
  if (binaryIsCurrent()) return binaryPath;
  announceBuild(log);
  const build = spawnSync('go', ['build', '-o', binaryPath, '.'], { cwd: sourceDir, stdio: 'inherit' });
  if (build.status !== 0) throw new Error(BUILD_FAILED);
  return binaryPath;
}

/**
 * ensureLocalDbBinary without blocking: `npm test` builds the database while it installs, builds
 * and lints the project, since much of a first build is waiting on module downloads. `ready`
 * settles with the build; `cancel()` stops a build nobody will wait for.
 */
export function ensureLocalDbBinaryInBackground(log = console.log) {
  if (binaryIsCurrent()) return { ready: Promise.resolve(binaryPath), cancel: () => {} };
  try {
    announceBuild(log);
  } catch (error) {
    return { ready: Promise.reject(error), cancel: () => {} };
  }
  const build = spawn('go', ['build', '-o', binaryPath, '.'], { cwd: sourceDir, stdio: 'inherit' });
  const ready = new Promise((resolvePromise, reject) => {
    build.once('error', reject);
    build.once('exit', (code) => (code === 0 ? resolvePromise(binaryPath) : reject(new Error(BUILD_FAILED))));
  });
  return { ready, cancel: () => build.exitCode === null && build.kill('SIGTERM') };
}

/**
 * Starts the local database on a free port with its files in dataDir (or on `options.listen`,
 * host:port, e.g. to start it again where services expect it after stopping it).
 * Resolves to { uri, child, stop }. The process also exits by itself if this one dies.
 */
export function startLocalDb(dataDir, log = console.log, { listen = '127.0.0.1:0' } = {}) {
  ensureLocalDbBinary(log);
  // Readable by this user only (the database program tightens an existing folder the same way).
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const child = spawn(binaryPath, ['-data', dataDir, '-listen', listen], { stdio: ['pipe', 'pipe', 'inherit'] });
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('the local database did not start within 60 s'));
    }, 60_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the local database exited with code ${code} before it was ready`));
    });
    createInterface({ input: child.stdout }).once('line', (line) => {
      clearTimeout(timer);
      const { uri } = JSON.parse(line);
      resolvePromise({ uri, child, stop: () => stopChild(child) });
    });
  });
}

/** Starts the local database on a temporary folder that is deleted again by stop(). */
export async function startTemporaryLocalDb(label, log = console.log) {
  const dataDir = mkdtempSync(join(tmpdir(), `supergraph-${label}-`));
  try {
    const db = await startLocalDb(dataDir, log);
    return {
      uri: db.uri,
      pid: db.child.pid,
      stop: async () => {
        await db.stop();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
}

/** Puts a database name into a mongodb:// URI that has none. */
export function withDatabase(uri, name) {
  const url = new URL(uri);
  if (url.pathname === '' || url.pathname === '/') url.pathname = `/${name}`;
  return url.toString();
}

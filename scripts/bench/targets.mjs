// What the bench drives: our gateway, the two peer gateways in bench/peers (their own package,
// installed here on first use), and the ceiling, the catalog subgraph asked directly.
import { existsSync, statSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { run } from '../lib/deps.mjs';
import { root } from '../lib/localdb.mjs';
import { startService } from '../lib/processes.mjs';
import { profilingArgs } from './profile.mjs';

export const peersDir = join(root, 'bench/peers');

/** `npm ci` in bench/peers when its node_modules is missing or older than its lock file. */
export function ensurePeersInstalled(log = console.log) {
  const marker = join(peersDir, 'node_modules/.package-lock.json');
  if (existsSync(marker) && statSync(marker).mtimeMs >= statSync(join(peersDir, 'package-lock.json')).mtimeMs) return;
  log('installing the peer gateways (bench/peers: npm ci)...');
  run('npm', ['ci', '--prefer-offline', '--no-audit', '--no-fund'], { cwd: peersDir });
}

/** A port nothing listens on right now (for the subgraphs' METRICS_PORT, which must be known in advance). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = /** @type {net.AddressInfo} */ (server.address());
      server.close(() => resolve(port));
    });
  });
}

const asTarget = (name, service, headers) => ({ name, url: service.url, pid: service.child.pid, stop: service.stop, headers });

/**
 * Starts one gateway (ours under the CPU profiler when `profileDir` is given). `cache`: its own best caching on (ours: CACHE=on with APQ and in-flight
 * dedup; Hive: its response cache in Redis); off, ours still dedups in flight (its default), as
 * Hive and Apollo keep their defaults.
 */
export async function startGateway(kind, { env, subgraphs, cache, profileDir }) {
  const urls = { USERS_URL: subgraphs.users.url, CATALOG_URL: subgraphs.catalog.url, ORDERS_URL: subgraphs.orders.url };
  if (kind === 'ours') {
    const modeEnv = cache ? { CACHE: 'on', PERSISTED_QUERIES: 'apq', SUBGRAPH_DEDUP: 'on' } : { CACHE: 'off', SUBGRAPH_DEDUP: 'on' };
    // BENCH_OURS_NODE_OPTIONS: Node flags for ours only (heap sizing experiments).
    const nodeOptions = process.env.BENCH_OURS_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_OURS_NODE_OPTIONS } : {};
    const nodeArgs = profileDir ? profilingArgs(profileDir) : [];
    return asTarget('ours', await startService('gateway', { ...env, ...urls, ...modeEnv, ...nodeOptions, PORT: '0' }, { nodeArgs }));
  }
  const entry = join(peersDir, `${kind}.mjs`);
  const peerEnv = {
    ...env,
    ...urls,
    PORT: '0',
    SUPERGRAPH_PATH: join(root, 'schema/supergraph.graphql'),
    PEER_CACHE: cache ? 'on' : 'off',
  };
  return asTarget(kind, await startService(kind, peerEnv, { entry, signer: 'gateway' }));
}

/** The catalog subgraph asked directly with the gateway's credential: what no gateway can beat. */
export function ceilingTarget(catalog, credential) {
  return {
    name: 'ceiling',
    url: catalog.url,
    pid: catalog.child.pid,
    stop: async () => {},
    headers: { 'x-service-credential': credential },
  };
}

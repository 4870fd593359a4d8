// Makes sure a Redis answers at REDIS_URL: uses the one running, or starts
// redis-server on that port when nothing answers and the binary is present.
import { spawn, spawnSync } from 'node:child_process';
import net from 'node:net';
import { stopChild } from './child-process.mjs';

export function redisAnswers(url, timeoutMs = 1000) {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.createConnection({ host: hostname || '127.0.0.1', port: Number(port || 6379) });
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG') || data.toString().startsWith('-NOAUTH')));
  });
}

/** Resolves to { started, stop }: stop() shuts down a server this call started and does nothing otherwise. */
export async function ensureRedis(url, log = console.log) {
  if (await redisAnswers(url)) return { started: false, stop: async () => {} };
  const { hostname, port } = new URL(url);
  if (!['127.0.0.1', 'localhost', '::1', '[::1]'].includes(hostname)) {
    throw new Error(`nothing answers at ${url}, and it is not local, so it cannot be started here`);
  }
  if (spawnSync('redis-server', ['--version']).status !== 0) {
    throw new Error(`nothing answers at ${url} and redis-server is not installed (apt-get install redis-server)`);
  }
  log(`starting redis-server on port ${port || 6379}...`);
  const child = spawn('redis-server', ['--port', String(port || 6379), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  });
  for (let i = 0; i < 100; i++) {
    if (await redisAnswers(url)) {
      return { started: true, stop: () => stopChild(child) };
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`redis-server did not answer at ${url} within 10 s`);
}

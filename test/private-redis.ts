import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { vi } from 'vitest';
import { stopChild } from '../scripts/lib/child-process.mjs';
import { redisAnswers } from '../scripts/lib/redis.mjs';

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * A redis-server of a test file's own, on a free port, that the test may stop and start again on
 * the same port (the shared Redis on 6379 must never be broken on purpose).
 */
export interface PrivateRedis {
  url: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export async function privateRedis(poll = { timeout: 20_000, interval: 100 }): Promise<PrivateRedis> {
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | null = null;
  return {
    url,
    async start() {
      child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
        stdio: 'ignore',
      });
      // vi.waitFor, not expect.poll: this also runs in beforeAll, outside any test.
      await vi.waitFor(async () => {
        if (!(await redisAnswers(url))) throw new Error('the private redis-server does not answer yet');
      }, poll);
    },
    async stop() {
      if (child) await stopChild(child);
    },
  };
}

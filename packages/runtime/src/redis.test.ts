import { afterEach, describe, expect, it } from 'vitest';
import net from 'node:net';
import { createLogger } from './logger.js';
import { createRedisClient, FAIL_FAST_REDIS_OPTIONS, REDIS_COMMAND_TIMEOUT_MS } from './redis.js';

/**
 * A stand-in for a Redis server that stops answering after the handshake (a hung or paused
 * server, a network that drops packets): the case an offline queue alone does not cover, because
 * the connection looks open. It speaks just enough RESP for ioredis to become ready.
 */
async function stallingServer(): Promise<{ url: string; stall(): void; close(): Promise<void> }> {
  let stalled = false;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    let buffer = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        const command = readCommand(buffer);
        if (!command) return;
        buffer = buffer.subarray(command.length);
        if (stalled) continue;
        const name = command.args[0]?.toLowerCase();
        socket.write(name === 'info' ? '$11\r\nloading:0\r\n\r\n' : '+OK\r\n');
      }
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `redis://127.0.0.1:${port}`,
    stall: () => {
      stalled = true;
    },
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** One RESP array of bulk strings from the front of the buffer, or null if it is not all there yet. */
function readCommand(buffer: Buffer): { args: string[]; length: number } | null {
  const text = buffer.toString('latin1');
  let at = 0;
  const line = () => {
    const end = text.indexOf('\r\n', at);
    if (end < 0) return null;
    const value = text.slice(at, end);
    at = end + 2;
    return value;
  };
  const header = line();
  if (header === null || !header.startsWith('*')) return null;
  const args: string[] = [];
  for (let i = 0; i < Number(header.slice(1)); i++) {
    const size = line();
    if (size === null) return null;
    const length = Number(size.slice(1));
    if (text.length < at + length + 2) return null;
    args.push(text.slice(at, at + length));
    at += length + 2;
  }
  return { args, length: at };
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('FAIL_FAST_REDIS_OPTIONS', () => {
  it('fails a command to a server that stopped answering within the command timeout, not tens of seconds later', async () => {
    const server = await stallingServer();
    cleanups.push(() => server.close());
    const client = createRedisClient(server.url, createLogger('test', 'silent'), 'fail-fast-test', { ...FAIL_FAST_REDIS_OPTIONS });
    cleanups.push(() => client.disconnect());
    await new Promise((resolve) => client.once('ready', resolve));
    expect(await client.set('k', 'v')).toBe('OK');

    server.stall();
    const started = Date.now();
    await expect(client.get('k')).rejects.toThrow(/timed out/i);
    // Bounded: the timeout and a little scheduling, far below ioredis's default of waiting indefinitely.
    expect(Date.now() - started).toBeLessThan(REDIS_COMMAND_TIMEOUT_MS + 1_500);
  });

  it('fails a command at once while Redis is unreachable instead of queueing it for a reconnect', async () => {
    // A port nothing listens on: reserved, then closed.
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as net.AddressInfo;
    await new Promise((resolve) => probe.close(resolve));
    const client = createRedisClient(`redis://127.0.0.1:${port}`, createLogger('test', 'silent'), 'fail-fast-down', {
      ...FAIL_FAST_REDIS_OPTIONS,
    });
    cleanups.push(() => client.disconnect());
    const started = Date.now();
    await expect(client.get('k')).rejects.toThrow(/enableOfflineQueue|writeable/i);
    expect(Date.now() - started).toBeLessThan(REDIS_COMMAND_TIMEOUT_MS);
  });
});

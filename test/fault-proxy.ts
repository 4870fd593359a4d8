import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the proxy does to one request: pass it on, or break it in one of the ways networks do. */
export type Fault =
  | 'pass'
  /** Forwards the request and holds the reply back for `delayMs` (the caller has given up by then). */
  | 'delay'
  /** Forwards the request, lets the upstream finish it, then cuts the caller off without a reply. */
  | 'drop'
  /** Cuts the caller off before anything is forwarded. */
  | 'reset'
  /** Holds the request back for `delayMs` before forwarding it (it arrives after the caller gave up). */
  | 'late';

/** Decides the fault for the n-th request (from 1) of an operation, named by its GraphQL operation name. */
export type FaultRule = (operation: string, n: number) => Fault;

const operationOf = (body: string): string => {
  try {
    return /^\s*(?:query|mutation|subscription)\s+(\w+)/.exec(JSON.parse(body).query ?? '')?.[1] ?? 'anonymous';
  } catch {
    return 'unparsable';
  }
};

/**
 * An HTTP proxy in front of one service that injects faults per operation, for tests of what
 * callers do when replies are late, lost or cut. Real sockets on both sides; nothing is mocked.
 */
export async function startFaultProxy(delayMs: number) {
  let target = '';
  let rule: FaultRule = () => 'pass';
  const counts = new Map<string, number>();
  /** Every request seen, with the fault applied, in arrival order. */
  const seen: { operation: string; fault: Fault }[] = [];

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const operation = operationOf(body.toString('utf8'));
      const n = (counts.get(operation) ?? 0) + 1;
      counts.set(operation, n);
      const fault = rule(operation, n);
      seen.push({ operation, fault });
      if (fault === 'reset') return void req.socket.destroy();
      if (fault === 'late') return void setTimeout(() => forward(req, res, body, 'pass'), delayMs);
      forward(req, res, body, fault);
    });
  });

  function forward(req: http.IncomingMessage, res: http.ServerResponse, body: Buffer, fault: Fault) {
    const upstream = http.request(new URL(req.url ?? '/', target), { method: req.method, headers: req.headers }, (reply) => {
      const replyChunks: Buffer[] = [];
      reply.on('data', (chunk: Buffer) => replyChunks.push(chunk));
      reply.on('end', () => {
        if (fault === 'drop') return void req.socket.destroy();
        const send = () => {
          if (res.destroyed || req.socket.destroyed) return;
          res.writeHead(reply.statusCode ?? 502, reply.headers);
          res.end(Buffer.concat(replyChunks));
        };
        if (fault === 'delay') setTimeout(send, delayMs);
        else send();
      });
    });
    upstream.on('error', () => req.socket.destroy());
    upstream.end(body);
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/graphql`,
    seen,
    /** Where requests go (the service's base URL); set once it has started. */
    setTarget(url: string) {
      target = url;
    },
    /** Applies `next` to requests from now on (counts restart per operation). */
    setRule(next: FaultRule) {
      rule = next;
      counts.clear();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

import type { IncomingMessage, ServerResponse } from 'node:http';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { Queue } from 'bullmq';
import express from 'express';
import { AccessTokenVerifier, type PublicKeyJwk } from '@supergraph/auth';
import { QUEUES } from '@supergraph/jobs';
import { readBody } from '@supergraph/runtime';

export const DASHBOARD_PATH = '/admin/queues';
const COOKIE = 'queue_dashboard_token';

function cookieToken(req: IncomingMessage): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === COOKIE) return decodeURIComponent(value.join('='));
  }
  return undefined;
}

const LOGIN_PAGE = `<!doctype html><meta charset="utf-8"><title>Queues: log in</title>
<form method="post" action="${DASHBOARD_PATH}/login" style="font-family:sans-serif;max-width:40em;margin:4em auto">
<h1>Job queues</h1><p>Paste an admin's access token (the <code>token</code> of <code>logIn</code>).</p>
<textarea name="token" rows="6" style="width:100%" required></textarea><p><button>Open the dashboard</button></p></form>`;

/**
 * The sms queue's jobs carry login codes while they wait or retry: on the dashboard that queue is
 * read-only (no adding a message under the brand's sender, no editing) and shows neither the text
 * nor the whole number, so an admin's token (or a stolen one) cannot read a live code off it.
 */
function dashboardAdapter(queue: Queue): BullMQAdapter {
  if (queue.name !== QUEUES.sms) return new BullMQAdapter(queue);
  const adapter = new BullMQAdapter(queue, { readOnlyMode: true });
  adapter.setFormatter('data', (data: { to?: unknown }) => ({
    to: typeof data?.to === 'string' ? `…${data.to.slice(-4)}` : undefined,
    message: '(hidden: it may hold a login code)',
  }));
  return adapter;
}

/**
 * The BullMQ dashboard (@bull-board) for admins: every request needs an admin's access token,
 * verified like the services verify them (the users subgraph's public keys), sent as
 * `Authorization: Bearer …` or, for a browser, kept in an HttpOnly cookie by the login form at
 * `/admin/queues/login`. Returns a handler that answers the paths under /admin/queues.
 */
export function createDashboard(queues: Queue[], tokenKeys: PublicKeyJwk[]) {
  const verifier = new AccessTokenVerifier(tokenKeys);
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(DASHBOARD_PATH);
  createBullBoard({ queues: queues.map(dashboardAdapter), serverAdapter });
  const app = express();
  app.disable('x-powered-by');
  // getRouter is typed `any` by @bull-board/express; it is an Express router.
  app.use(DASHBOARD_PATH, serverAdapter.getRouter() as express.Router);

  const admitted = async (authorization: string | undefined) => {
    const auth = await verifier.authenticate(authorization);
    if (!auth.viewer) return { status: 401, why: auth.tokenProblem ?? 'log in as an admin first', expiresAt: 0 };
    if (auth.viewer.role !== 'ADMIN') return { status: 403, why: 'the queue dashboard is for admins only', expiresAt: 0 };
    return { status: 200, why: '', expiresAt: auth.token?.expiresAt ?? 0 };
  };

  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path === `${DASHBOARD_PATH}/login`) {
      if (req.method === 'POST') {
        const token = new URLSearchParams(await readBody(req, 16_384)).get('token')?.trim() ?? '';
        const check = await admitted(`Bearer ${token}`);
        if (check.status !== 200) {
          res.writeHead(check.status, { 'content-type': 'text/plain; charset=utf-8' }).end(check.why);
          return;
        }
        const maxAge = Math.max(0, Math.floor((check.expiresAt - Date.now()) / 1000));
        res.writeHead(303, {
          location: DASHBOARD_PATH,
          'set-cookie': `${COOKIE}=${encodeURIComponent(token)}; Path=${DASHBOARD_PATH}; HttpOnly; SameSite=Strict; Max-Age=${maxAge}`,
        });
        res.end();
        return;
      }
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(LOGIN_PAGE);
      return;
    }
    const fromCookie = cookieToken(req);
    const check = await admitted(req.headers.authorization ?? (fromCookie ? `Bearer ${fromCookie}` : undefined));
    if (check.status !== 200) {
      res.writeHead(check.status, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify({ error: `${check.why}; log in at ${DASHBOARD_PATH}/login` }));
      return;
    }
    app(req, res);
  };
}

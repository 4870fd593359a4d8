import type { IncomingMessage, ServerResponse } from 'node:http';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { Queue } from 'bullmq';
import express from 'express';
import {
  AccessTokenVerifier,
  createRevocationCheck,
  SESSION_ENDED_MESSAGE,
  tokenIdentity,
  type PublicKeyJwk,
  type RevocationList,
} from '@supergraph/auth';
import { QUEUES } from '@supergraph/jobs';
import { ErrorCode, readBody, type Logger } from '@supergraph/runtime';
import { cookieToken, dashboardCookie } from './dashboard-cookie.js';

export const DASHBOARD_PATH = '/admin/queues';

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

export interface DashboardOptions {
  /** The users subgraph's public keys (USER_TOKEN_PUBLIC_KEYS). */
  tokenKeys: PublicKeyJwk[];
  /** Sessions logged out and roles changed (the users subgraph records them): their tokens are refused. */
  revocations: RevocationList;
  logger: Logger;
  /** Production: the login cookie is Secure. */
  secureCookie: boolean;
}

/** Why a request is not let in: its status, the code of the one error enum, and what to tell the admin. */
interface Refusal {
  status: number;
  code: ErrorCode;
  why: string;
}

/**
 * The BullMQ dashboard (@bull-board) for admins: every request needs an admin's access token,
 * verified like the gateway verifies them (the users subgraph's public keys, then the revocation
 * list, so a logged-out session or a demoted admin is refused within moments rather than when the
 * token expires), sent as `Authorization: Bearer …` or, for a browser, kept in an HttpOnly cookie
 * by the login form at `/admin/queues/login`. Returns a handler that answers the paths under /admin/queues.
 */
export function createDashboard(queues: Queue[], options: DashboardOptions) {
  const verifier = new AccessTokenVerifier(options.tokenKeys);
  // Fails closed while Redis is away: the dashboard shows nothing without Redis anyway, and an
  // admin surface should not trust a token it cannot check.
  const revocation = createRevocationCheck({
    revocations: options.revocations,
    logger: options.logger,
    whileUnknown: 'refusing the queue dashboard',
  });
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(DASHBOARD_PATH);
  createBullBoard({ queues: queues.map(dashboardAdapter), serverAdapter });
  const app = express();
  app.disable('x-powered-by');
  // getRouter is typed `any` by @bull-board/express; it is an Express router.
  app.use(DASHBOARD_PATH, serverAdapter.getRouter() as express.Router);

  /** The admin's token expiry (ms) when let in, else why not. */
  const admitted = async (authorization: string | undefined): Promise<{ expiresAt: number } | Refusal> => {
    const auth = await verifier.authenticate(authorization);
    const token = tokenIdentity(auth);
    if (!token) return { status: 401, code: ErrorCode.Unauthenticated, why: auth.tokenProblem ?? 'log in as an admin first' };
    // The role first: a customer's token is refused without asking Redis.
    if (token.role !== 'ADMIN') return { status: 403, code: ErrorCode.Forbidden, why: 'the queue dashboard is for admins only' };
    const status = await revocation(token);
    if (status === 'revoked') return { status: 401, code: ErrorCode.Unauthenticated, why: SESSION_ENDED_MESSAGE };
    if (status === 'unknown') {
      return {
        status: 503,
        code: ErrorCode.ServiceUnavailable,
        why: 'whether this session has ended cannot be checked while Redis is unreachable; try again shortly',
      };
    }
    return { expiresAt: auth.token?.expiresAt ?? 0 };
  };

  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path === `${DASHBOARD_PATH}/login`) {
      if (req.method === 'POST') {
        const token = new URLSearchParams(await readBody(req, 16_384)).get('token')?.trim() ?? '';
        const check = await admitted(`Bearer ${token}`);
        if ('status' in check) {
          res.writeHead(check.status, { 'content-type': 'text/plain; charset=utf-8' }).end(check.why);
          return;
        }
        const cookie = dashboardCookie(token, {
          path: DASHBOARD_PATH,
          maxAgeSeconds: (check.expiresAt - Date.now()) / 1000,
          secure: options.secureCookie,
        });
        res.writeHead(303, { location: DASHBOARD_PATH, 'set-cookie': cookie });
        res.end();
        return;
      }
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(LOGIN_PAGE);
      return;
    }
    const fromCookie = cookieToken(req);
    const check = await admitted(req.headers.authorization ?? (fromCookie ? `Bearer ${fromCookie}` : undefined));
    if ('status' in check) {
      res.writeHead(check.status, { 'content-type': 'application/json; charset=utf-8' });
      const error = check.status === 503 ? check.why : `${check.why}; log in at ${DASHBOARD_PATH}/login`;
      res.end(JSON.stringify({ error, code: check.code }));
      return;
    }
    app(req, res);
  };
}

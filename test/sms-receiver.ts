import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One POST the receiver got, as the SMS webhook contract says it looks. */
export interface ReceivedSms {
  to: string;
  message: string;
  idempotencyKey: string;
  at: number;
}

/**
 * A stand-in for the SMS provider behind SMS_WEBHOOK_URL, as a real HTTP server: it takes each
 * idempotency key once (a repeat is answered 200 and not counted again, as a provider honouring the
 * key would), can be told to fail or to hold the next requests for a key, and lists what it got.
 * For tests in other processes (the shared stack's receiver): `GET /messages?to=+91…` or
 * `?key=<prefix>` returns the processed messages, and `POST /fail` with `{ keyPrefix, times }` fails
 * the next requests for those keys.
 */
export class SmsReceiver {
  /** Every request, repeats included, in arrival order. */
  readonly deliveries: ReceivedSms[] = [];
  /** The first delivery of each idempotency key, in arrival order. */
  readonly processed: ReceivedSms[] = [];
  private readonly failures = new Map<string, number>();
  private readonly held = new Set<string>();
  private readonly slowed = new Map<string, number>();
  private readonly waiting: (() => void)[] = [];
  private server: http.Server | null = null;
  url = '';

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  /** The next `times` requests whose key starts with `keyPrefix` are answered 503. */
  failNext(keyPrefix: string, times: number): void {
    this.failures.set(keyPrefix, times);
  }

  /** Requests whose key starts with `keyPrefix` get no answer (until the connection is dropped). */
  hold(keyPrefix: string): void {
    this.held.add(keyPrefix);
  }

  release(keyPrefix: string): void {
    this.held.delete(keyPrefix);
  }

  /** Requests whose key starts with `keyPrefix` are answered after `ms`. */
  slow(keyPrefix: string, ms: number): void {
    this.slowed.set(keyPrefix, ms);
  }

  messagesTo(to: string): ReceivedSms[] {
    return this.processed.filter((sms) => sms.to === to);
  }

  /** Resolves once `check` holds, polling as requests arrive; rejects after `timeoutMs`. */
  async until<T>(check: () => T | undefined | false, timeoutMs = 10_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = check();
      if (value) return value;
      if (Date.now() > deadline) throw new Error(`the SMS receiver did not see what was expected within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 100);
        this.waiting.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method === 'GET' && url.pathname === '/messages') {
      const to = url.searchParams.get('to');
      const key = url.searchParams.get('key');
      const found = this.processed.filter((sms) => (to === null || sms.to === to) && (key === null || sms.idempotencyKey.startsWith(key)));
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(found));
      return;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    let body: Partial<ReceivedSms & { keyPrefix: string; times: number }>;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Partial<ReceivedSms & { keyPrefix: string; times: number }>;
    } catch {
      res.writeHead(400).end();
      return;
    }
    if (url.pathname === '/fail' && typeof body.keyPrefix === 'string' && typeof body.times === 'number') {
      this.failNext(body.keyPrefix, body.times);
      res.writeHead(204).end();
      return;
    }
    if (typeof body.to !== 'string' || typeof body.message !== 'string' || typeof body.idempotencyKey !== 'string') {
      res.writeHead(422).end();
      return;
    }
    const sms: ReceivedSms = { to: body.to, message: body.message, idempotencyKey: body.idempotencyKey, at: Date.now() };
    this.deliveries.push(sms);
    this.notify();
    const key = sms.idempotencyKey;
    if ([...this.held].some((prefix) => key.startsWith(prefix))) return; // never answered
    const wait = [...this.slowed].find(([prefix]) => key.startsWith(prefix))?.[1];
    if (wait) await new Promise((resolve) => setTimeout(resolve, wait));
    const failing = [...this.failures].find(([prefix, left]) => key.startsWith(prefix) && left > 0);
    if (failing) {
      this.failures.set(failing[0], failing[1] - 1);
      res.writeHead(503).end();
      return;
    }
    if (!this.processed.some((seen) => seen.idempotencyKey === key)) this.processed.push(sms);
    this.notify();
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"status":"accepted"}');
  }

  private notify(): void {
    for (const wake of this.waiting.splice(0)) wake();
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

/** The messages the shared stack's receiver (test/global-setup.ts) processed for a number. */
export async function sharedMessagesTo(receiverUrl: string, to: string): Promise<ReceivedSms[]> {
  const response = await fetch(`${receiverUrl}/messages?to=${encodeURIComponent(to)}`);
  return (await response.json()) as ReceivedSms[];
}

/** The messages the shared receiver processed whose idempotency key starts with `keyPrefix`. */
export async function sharedMessagesKeyed(receiverUrl: string, keyPrefix: string): Promise<ReceivedSms[]> {
  const response = await fetch(`${receiverUrl}/messages?key=${encodeURIComponent(keyPrefix)}`);
  return (await response.json()) as ReceivedSms[];
}

/** Makes the shared receiver answer 503 to the next `times` messages whose key starts with `keyPrefix`. */
export async function failSharedMessages(receiverUrl: string, keyPrefix: string, times: number): Promise<void> {
  const response = await fetch(`${receiverUrl}/fail`, { method: 'POST', body: JSON.stringify({ keyPrefix, times }) });
  if (response.status !== 204) throw new Error(`the SMS receiver refused the fault (HTTP ${response.status})`);
}

/** The code of the `nth` message (1-based) the shared receiver got for `e164`, once the worker has delivered it. */
export async function sharedCodeSentTo(receiverUrl: string, e164: string, nth = 1): Promise<string> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const messages = await sharedMessagesTo(receiverUrl, e164);
    if (messages.length >= nth) {
      const code = /\b(\d{6})\b/.exec(messages[nth - 1].message)?.[1];
      if (!code) throw new Error('the login message carries no 6-digit code');
      return code;
    }
    if (Date.now() > deadline) throw new Error(`no login code reached the receiver for the number within 15 s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

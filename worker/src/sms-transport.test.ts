import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@supergraph/runtime';
import {
  createLogSmsTransport,
  createWebhookSmsTransport,
  isPermanent,
  webhookTarget,
  type OutgoingSms,
  type SmsTransport,
} from './sms-transport.js';

// A provider on a local port: answers with the status queued for the next request, records bodies and headers.
const received: { body: unknown; key: string | undefined; path: string | undefined; authorization: string | undefined }[] = [];
const statuses: number[] = [];
let server: http.Server;
let url = '';

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({
        body: JSON.parse(Buffer.concat(chunks).toString('utf8')),
        key: req.headers['idempotency-key'] as string | undefined,
        path: req.url,
        authorization: req.headers.authorization,
      });
      res.writeHead(statuses.shift() ?? 200).end('{"note":"the body may quote +919876543210"}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/sms`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const sms: OutgoingSms = { to: '+919876543210', message: '482913 is your BharatMart login code', idempotencyKey: 'otp-sms.abc' };

/** What every transport promises: a message it accepts is handed on whole, with its key; it resolves only then. */
function transportContract(name: string, make: () => { transport: SmsTransport; delivered: () => OutgoingSms[] }) {
  describe(`${name} transport contract`, () => {
    it('hands on the number, the text and the idempotency key', async () => {
      const { transport, delivered } = make();
      await transport.send(sms);
      expect(delivered().at(-1)).toEqual(sms);
    });

    it('hands on each send, the same key again too (the key, not the transport, deduplicates)', async () => {
      const { transport, delivered } = make();
      const before = delivered().length;
      await transport.send(sms);
      await transport.send(sms);
      expect(delivered().length - before).toBe(2);
    });
  });
}

transportContract('webhook', () => ({
  transport: createWebhookSmsTransport(url, 2_000),
  delivered: () => received.map(({ body }) => body as OutgoingSms),
}));

const logLines: string[] = [];
transportContract('log', () => ({
  transport: createLogSmsTransport(createLogger('worker', 'info', (line) => logLines.push(line))),
  delivered: () =>
    logLines
      .map((line) => JSON.parse(line) as { toLast4: string; text: string; idempotencyKey: string })
      .map((entry) => ({
        to: `+91987654${entry.toLast4}`,
        message: entry.text,
        idempotencyKey: entry.idempotencyKey,
      })),
}));

describe('webhook transport', () => {
  it('sends the key as the Idempotency-Key header too', async () => {
    await createWebhookSmsTransport(url, 2_000).send(sms);
    expect(received.at(-1)?.key).toBe('otp-sms.abc');
  });

  it('rejects on 5xx, 408 and 429 so the job is retried, and refuses to retry other 4xx', async () => {
    const transport = createWebhookSmsTransport(url, 2_000);
    for (const status of [500, 503, 408, 429]) {
      statuses.push(status);
      await expect(transport.send(sms)).rejects.toMatchObject({ name: 'SmsRejected', status });
    }
    statuses.push(400);
    await expect(transport.send(sms)).rejects.toMatchObject({ name: 'UnrecoverableError' });
    expect([400, 401, 422].every(isPermanent)).toBe(true);
    expect([408, 429, 500, 502].some(isPermanent)).toBe(false);
  });

  it('rejects when the provider cannot be reached, without quoting the message or number', async () => {
    const error = (await createWebhookSmsTransport('http://127.0.0.1:1/sms', 2_000)
      .send(sms)
      .catch((e: unknown) => e)) as Error;
    expect(error.message).toMatch(/could not be reached/);
    expect(error.message).not.toContain('9876543210');
    expect(error.message).not.toContain('482913');
  });

  it('sends a user name and password in the URL as Basic authorization, and the query string as it is', async () => {
    const withKey = url.replace('http://', 'http://acct%40sms:p%3Ass@') + '?apikey=k3y';
    await createWebhookSmsTransport(withKey, 2_000).send(sms);
    expect(received.at(-1)).toMatchObject({
      path: '/sms?apikey=k3y',
      authorization: `Basic ${Buffer.from('acct@sms:p:ss').toString('base64')}`,
    });
    expect(webhookTarget(`${url}?apikey=k3y`)).toEqual({ url: `${url}?apikey=k3y`, authorization: undefined });
  });

  it("keeps the URL's password and key out of its errors (they reach the log and the failed job)", async () => {
    // fetch itself would refuse a URL with credentials by quoting it whole.
    const error = (await createWebhookSmsTransport('http://user:hunter2@127.0.0.1:1/sms?apikey=k3y', 2_000)
      .send(sms)
      .catch((e: unknown) => e)) as Error;
    expect(error.message).toMatch(/could not be reached/);
    expect(`${error.message} ${String((error.cause as Error | undefined)?.message)}`).not.toMatch(/hunter2|k3y/);
  });
});

describe('log transport', () => {
  it('never writes the phone number', async () => {
    logLines.length = 0;
    await createLogSmsTransport(createLogger('worker', 'info', (line) => logLines.push(line))).send(sms);
    expect(logLines).toHaveLength(1);
    expect(logLines[0]).not.toContain('9876543210');
    expect(logLines[0]).toContain('3210');
  });
});

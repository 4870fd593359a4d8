import { UnrecoverableError } from '@supergraph/jobs';
import type { Logger } from '@supergraph/runtime';

/** One text message as handed to the provider. */
export interface OutgoingSms {
  /** E.164, e.g. +919876543210. */
  to: string;
  message: string;
  /** The same for every attempt at this message: the provider (or its bridge) sends a key once. */
  idempotencyKey: string;
}

/** Sends text messages. Rejects when the message may not have gone out, so the job is retried. */
export interface SmsTransport {
  /** `webhook` or `log`, for /health. */
  readonly kind: string;
  send(sms: OutgoingSms): Promise<void>;
}

/** What a provider answered, when it was not a success; the body is not kept (it may quote the message). */
export class SmsRejected extends Error {
  override name = 'SmsRejected';
  constructor(readonly status: number) {
    super(`the SMS webhook answered HTTP ${status}`);
  }
}

/**
 * 4xx answers mean the request itself is wrong (retrying sends the same), except 408 and 429, which
 * mean "not now"; 5xx and network failures are retried.
 */
export function isPermanent(status: number): boolean {
  return status >= 400 && status < 500 && status !== 408 && status !== 429;
}

/**
 * Where to POST and with what credentials. fetch refuses a URL with a user name or password, and
 * its refusal quotes the whole URL (key and all) into the error, which the job's log line and
 * failed reason would keep: they are sent as Basic authorization instead, as curl would.
 */
export function webhookTarget(webhookUrl: string): { url: string; authorization: string | undefined } {
  const url = new URL(webhookUrl);
  if (!url.username && !url.password) return { url: url.href, authorization: undefined };
  const credentials = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
  url.username = '';
  url.password = '';
  return { url: url.href, authorization: `Basic ${Buffer.from(credentials, 'utf8').toString('base64')}` };
}

/**
 * A JSON POST per message: `{ "to", "message", "idempotencyKey" }` (the key also as the
 * `Idempotency-Key` header). Any 2xx is delivered. A user name and password in the URL are sent as
 * Basic authorization.
 */
export function createWebhookSmsTransport(webhookUrl: string, timeoutMs: number): SmsTransport {
  const { url, authorization } = webhookTarget(webhookUrl);
  return {
    kind: 'webhook',
    async send(sms) {
      let response: Response;
      try {
        response = await fetch(url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'idempotency-key': sms.idempotencyKey,
            ...(authorization ? { authorization } : {}),
          },
          body: JSON.stringify({ to: sms.to, message: sms.message, idempotencyKey: sms.idempotencyKey }),
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (error) {
        // The cause names the host only; the message, the number and the URL's query are not in it.
        throw new Error(`the SMS webhook could not be reached: ${(error as Error).message}`, { cause: error });
      }
      // Drained so the connection can be reused; what it says is not logged.
      await response.arrayBuffer().catch(() => undefined);
      if (response.ok) return;
      const rejected = new SmsRejected(response.status);
      if (isPermanent(response.status)) throw new UnrecoverableError(rejected.message);
      throw rejected;
    },
  };
}

/**
 * Development without a provider: the message goes to the worker's log, so a developer can read a
 * login code there. The number is shown by its last four digits only (logs never hold a phone
 * number); the tests always set SMS_WEBHOOK_URL, so this line never appears in a test run.
 */
export function createLogSmsTransport(logger: Logger): SmsTransport {
  return {
    kind: 'log',
    async send(sms) {
      logger.info('sms (not sent: SMS_WEBHOOK_URL is not set)', {
        toLast4: sms.to.slice(-4),
        text: sms.message,
        idempotencyKey: sms.idempotencyKey,
      });
    },
  };
}

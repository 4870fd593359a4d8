import { ConfigError, loadServiceConfig, readOnOff, readUrl, readWholeNumber, type Env, type ServiceConfig } from '@supergraph/runtime';
import { readPrivateKey, readPublicKeys, type PrivateKeyJwk, type PublicKeyJwk } from '@supergraph/auth';
import { loadInvoicingConfig, type InvoicingConfig } from '@supergraph/invoicing';
import { readJobsConfig, type JobsConfig } from '@supergraph/jobs';

export const WORKER_DEFAULT_PORT = 4004;

export interface WorkerConfig extends ServiceConfig {
  jobs: JobsConfig;
  /**
   * Where text messages go (SMS_WEBHOOK_URL): a JSON POST per message to the SMS provider or a
   * bridge to it. Required in production; unset elsewhere, messages are written to the log.
   */
  smsWebhookUrl: string | undefined;
  /** How long the provider may take to answer one message (SMS_WEBHOOK_TIMEOUT_MS). */
  smsTimeoutMs: number;
  /** The users subgraph (USERS_URL), asked how to reach a customer, with the worker's own key. */
  usersUrl: string;
  /** The worker's signing key (WORKER_SERVICE_SIGNING_KEY), for the users subgraph's internal field. */
  serviceKey: PrivateKeyJwk;
  /**
   * The queue dashboard at /admin/queues (QUEUE_DASHBOARD): on by default outside production, off in
   * production unless switched on; admins only, their access tokens checked with USER_TOKEN_PUBLIC_KEYS.
   */
  dashboard: { tokenKeys: PublicKeyJwk[] } | null;
  /** Invoices: the seller printed on them (SELLER_*, required in production) and the services asked to number and store them. */
  invoicing: InvoicingConfig;
}

export function loadWorkerConfig(env: Env = process.env): WorkerConfig {
  // Only /health, /ready and /metrics are served, for the machine's own probes: 127.0.0.1 unless HOST says otherwise.
  const service = loadServiceConfig(env, WORKER_DEFAULT_PORT, '127.0.0.1');
  const hasWebhook = env.SMS_WEBHOOK_URL !== undefined && env.SMS_WEBHOOK_URL.trim() !== '';
  if (!hasWebhook && service.nodeEnv === 'production') {
    throw new ConfigError('SMS_WEBHOOK_URL is required in production: login codes and order updates are sent through it');
  }
  return {
    ...service,
    jobs: readJobsConfig(env),
    smsWebhookUrl: hasWebhook ? readUrl(env, 'SMS_WEBHOOK_URL', undefined, ['http:', 'https:']) : undefined,
    smsTimeoutMs: readWholeNumber(env, 'SMS_WEBHOOK_TIMEOUT_MS', 10_000, 100, 120_000),
    // Required in production, like every other service's upstream URLs; localhost in development.
    usersUrl: readUrl(env, 'USERS_URL', service.nodeEnv === 'production' ? undefined : 'http://localhost:4001/graphql', [
      'http:',
      'https:',
    ]),
    serviceKey: readPrivateKey(env, 'WORKER_SERVICE_SIGNING_KEY'),
    dashboard: readOnOff(env, 'QUEUE_DASHBOARD', service.nodeEnv !== 'production')
      ? { tokenKeys: readPublicKeys(env, 'USER_TOKEN_PUBLIC_KEYS') }
      : null,
    invoicing: loadInvoicingConfig(env),
  };
}

import type { IncomingMessage, ServerResponse } from 'node:http';
import { Queue, type Worker } from 'bullmq';
import { createRedisRevocationList } from '@supergraph/auth';
import { createInvoicingClients } from '@supergraph/invoicing';
import { bullPrefix, consumeQueue, QUEUE_NAMES, QUEUES, type InvoiceJob, type OrderStatusNotice, type SmsJob } from '@supergraph/jobs';
import { createLogger, createRedisClient, FAIL_FAST_REDIS_OPTIONS, listen, type Logger } from '@supergraph/runtime';
import { exposeMetrics, ServiceMetrics } from '@supergraph/telemetry';
import type { WorkerConfig } from './config.js';
import { createDashboard, DASHBOARD_PATH } from './dashboard.js';
import { invoiceProcessor } from './invoice-processor.js';
import { noticeProcessor } from './notice-processor.js';
import { QueueStats } from './queue-stats.js';
import { createSentMarks } from './sent-marks.js';
import { smsProcessor, type SmsStats } from './sms-processor.js';
import { createLogSmsTransport, createWebhookSmsTransport, type SmsTransport } from './sms-transport.js';
import { createUsersClient, type UsersClient } from './users-client.js';

export { loadWorkerConfig, type WorkerConfig } from './config.js';

export interface RunningWorker {
  url: string;
  port: number;
  drainMs: number;
  deadlineMs: number;
  drain(): void;
  /** Stops taking jobs, lets the running ones finish (up to the deadline; any left are handed back to the queue), closes Redis (the dashboard's revocation client too). */
  stop(): Promise<void>;
}

export interface WorkerStartOptions {
  logger?: Logger;
  /** Replaces the transport SMS_WEBHOOK_URL selects (tests). */
  sms?: SmsTransport;
  /** Replaces the users subgraph client (tests). */
  users?: UsersClient;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}

/** Starts the worker: one BullMQ worker per queue, and /health, /ready, /metrics over HTTP. No side effects on import. */
export async function start(config: WorkerConfig, options: WorkerStartOptions = {}): Promise<RunningWorker> {
  const logger = options.logger ?? createLogger('worker', config.logLevel);
  const metrics = new ServiceMetrics('worker');
  // Workers block waiting for jobs, and while Redis is away they wait for it: BullMQ requires no
  // per-command retry limit on their connection.
  const consuming = createRedisClient(config.redisUrl, logger, 'worker-jobs', { maxRetriesPerRequest: null });
  // Counts, marks and /ready answer at once or fail.
  const commands = createRedisClient(config.redisUrl, logger, 'worker-commands', { ...FAIL_FAST_REDIS_OPTIONS });
  const prefix = bullPrefix(config.redisPrefix);
  const queues = QUEUE_NAMES.map((name) => new Queue(name, { connection: commands, prefix }));
  for (const queue of queues) queue.on('error', () => undefined); // the client logs outages once
  const stats = new QueueStats(queues).start(metrics);

  const transport =
    options.sms ??
    (config.smsWebhookUrl ? createWebhookSmsTransport(config.smsWebhookUrl, config.smsTimeoutMs) : createLogSmsTransport(logger));
  if (transport.kind === 'log') logger.warn('SMS_WEBHOOK_URL is not set: text messages are written to this log instead of being sent');
  const smsStats: SmsStats = { sent: new Map(), skipped: 0 };
  // Marks outlive every retry a job can have (failed jobs are kept, and retryable, that long).
  const marks = createSentMarks(commands, config.redisPrefix, config.jobs.keepFailedSeconds);
  metrics.observedCounter('jobs_sms_sent_total', 'Text messages handed to the SMS provider, by purpose', ['purpose'], () =>
    [...smsStats.sent].map(([purpose, count]) => [{ purpose }, count] as const),
  );
  metrics.observedCounter('jobs_sms_skipped_total', 'SMS jobs run again after their message had gone out (skipped)', [], () => [
    [{}, smsStats.skipped],
  ]);
  const outcomes = metrics.counter('jobs_processed_total', 'Job runs by queue and outcome (completed, retried, failed)', [
    'queue',
    'outcome',
  ]);

  const users = options.users ?? createUsersClient(config.usersUrl, config.serviceKey);
  const queueNamed = (name: string) => queues.find((queue) => queue.name === name)!;
  const consumeOptions = { connection: consuming, redisPrefix: config.redisPrefix, config: config.jobs, logger };
  // One BullMQ worker per queue; a new kind of job adds its processor here.
  const workers: Worker[] = [
    consumeQueue<SmsJob>(QUEUES.sms, smsProcessor(transport, marks, smsStats), consumeOptions),
    consumeQueue<OrderStatusNotice>(
      QUEUES.notifications,
      noticeProcessor({ queue: queueNamed(QUEUES.notifications), users, transport, marks, stats: smsStats }),
      consumeOptions,
    ),
    consumeQueue<InvoiceJob>(
      QUEUES.invoices,
      invoiceProcessor({ ...createInvoicingClients(config.invoicing), seller: config.invoicing.seller }),
      consumeOptions,
      config.jobs.invoiceConcurrency,
    ),
  ];
  for (const worker of workers) {
    worker.on('completed', () => outcomes.inc({ queue: worker.name, outcome: 'completed' }));
    worker.on('failed', (job) => {
      const final = !job || job.attemptsMade >= (job.opts.attempts ?? 1) || job.finishedOn !== undefined;
      outcomes.inc({ queue: worker.name, outcome: final ? 'failed' : 'retried' });
    });
  }

  const exposed = await exposeMetrics(metrics, config, logger);
  // Read only: the users subgraph records revocations; the dashboard refuses the tokens they end.
  const revocations = config.dashboard
    ? createRedisRevocationList({ redisUrl: config.redisUrl, prefix: config.redisPrefix, logger, service: 'worker' })
    : null;
  const dashboard =
    config.dashboard && revocations
      ? createDashboard(queues, {
          tokenKeys: config.dashboard.tokenKeys,
          revocations,
          logger,
          secureCookie: config.nodeEnv === 'production',
        })
      : null;
  let draining = false;
  const handler = async (req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    try {
      if (dashboard && (path === DASHBOARD_PATH || path.startsWith(`${DASHBOARD_PATH}/`))) {
        await dashboard(req, res);
        return;
      }
      if (path === '/health') {
        const { counts, stale } = await stats.forHealth();
        sendJson(res, 200, {
          status: 'ok',
          redis: commands.status === 'ready' ? 'ok' : 'unreachable: jobs wait in Redis and run once it is back',
          sms: transport.kind,
          queues: counts,
          ...(stale ? { queuesStale: true } : {}),
        });
        return;
      }
      if (path === '/ready') {
        const ready = !draining && commands.status === 'ready';
        sendJson(res, ready ? 200 : 503, {
          status: ready ? 'ready' : draining ? 'draining' : 'not ready',
          checks: [{ name: 'redis', ok: commands.status === 'ready' }],
        });
        return;
      }
      if (path === '/metrics' && exposed.onOwnPort && req.method === 'GET') {
        // Fresh counts for this scrape (at most a second's wait; the last ones otherwise).
        await stats.forHealth();
        const { contentType, body } = await exposed.onOwnPort();
        res.writeHead(200, { 'content-type': contentType });
        res.end(body);
        return;
      }
      sendJson(res, 404, {
        error: `no route for ${path}; the worker serves /health, /ready, /metrics${dashboard ? ` and ${DASHBOARD_PATH}` : ''}`,
      });
    } catch (error) {
      logger.error('request failed', { error, path });
      if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
    }
  };
  const http = await listen(handler, config.port, config.host);
  logger.info('listening', {
    port: http.port,
    url: http.url,
    queues: QUEUE_NAMES,
    sms: transport.kind,
    metrics: exposed.url(http.url),
    dashboard: dashboard ? `${http.url}${DASHBOARD_PATH}` : null,
  });

  return {
    url: http.url,
    port: http.port,
    // Nothing routes requests to the worker; there is nothing to drain.
    drainMs: 0,
    deadlineMs: config.shutdownDeadlineMs,
    drain: () => {
      draining = true;
    },
    async stop() {
      draining = true;
      // close() stops taking jobs and waits for the running ones. Past the deadline they are left:
      // their locks lapse and the stalled-job check hands them to another worker, which runs them again.
      let timer: NodeJS.Timeout | undefined;
      const finished = Promise.all(workers.map((worker) => worker.close())).then(() => true);
      const inTime = await Promise.race([
        finished,
        new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), config.shutdownDeadlineMs))),
      ]);
      clearTimeout(timer);
      if (!inTime) {
        logger.warn('jobs still running at the shutdown deadline are handed back to their queues', {
          deadlineMs: config.shutdownDeadlineMs,
        });
        await Promise.all(workers.map((worker) => worker.close(true).catch(() => undefined)));
      }
      stats.stop();
      await Promise.all(queues.map((queue) => queue.close().catch(() => undefined)));
      await http.close(1_000);
      await exposed.close();
      await revocations?.dispose();
      consuming.disconnect();
      commands.disconnect();
      logger.info('stopped');
    },
  };
}

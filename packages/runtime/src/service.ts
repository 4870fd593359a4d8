import type { Logger } from './logger.js';

export interface StoppableService {
  /** Turns readiness to 503 at once while requests are still served (the start of a graceful stop). */
  drain?(): void;
  /** How long to keep serving after `drain` before stopping. */
  drainMs?: number;
  /** How long `stop` gives requests still running before cutting them (SHUTDOWN_DEADLINE_MS). */
  deadlineMs?: number;
  /**
   * In order: stop accepting connections, let in-flight requests finish (cutting those still
   * running at `deadlineMs`), close WebSockets with 1001, then close Redis and the database.
   */
  stop(): Promise<void>;
}

/**
 * Time allowed on top of the drain and the deadline for the rest of `stop` (sockets, Redis, the
 * database) before the process exits anyway with code 1, so nothing can hold it forever.
 */
export const STOP_GRACE_MS = 5_000;

/**
 * Entry-point runner for `index.ts`: starts the service, stops it cleanly on SIGINT/SIGTERM
 * (readiness 503 first, serving on for the drain time, then stopping: in-flight requests finish,
 * sockets close with 1001, clients close), and exits 1 when start-up fails.
 */
export function runService(name: string, start: () => Promise<StoppableService>, logger?: Logger): void {
  const log = (msg: string, fields?: Record<string, unknown>) =>
    logger
      ? logger.error(msg, fields)
      : process.stderr.write(`${name}: ${msg}: ${typeof fields?.error === 'string' ? fields.error : ''}\n`);
  // Start inside a promise so a config error thrown synchronously is reported like any other.
  Promise.resolve()
    .then(start)
    .then((service) => {
      let stopping = false;
      const shutdown = (signal: string) => {
        if (stopping) return;
        stopping = true;
        const drainMs = service.drainMs ?? 0;
        logger?.info('shutting down', { signal, drainMs, deadlineMs: service.deadlineMs });
        service.drain?.();
        const limitMs = drainMs + (service.deadlineMs ?? 10_000) + STOP_GRACE_MS;
        setTimeout(() => {
          log('shutdown did not finish in time; exiting anyway', { limitMs });
          process.exit(1);
        }, limitMs).unref();
        new Promise((resolve) => setTimeout(resolve, drainMs))
          .then(() => service.stop())
          .then(() => {
            logger?.info('stopped', { signal });
            process.exit(0);
          })
          .catch((error) => {
            log('shutdown failed', { error: (error as Error).message });
            process.exit(1);
          });
      };
      process.on('SIGINT', () => shutdown('SIGINT'));
      process.on('SIGTERM', () => shutdown('SIGTERM'));
    })
    .catch((error) => {
      log('failed to start', { error: (error as Error).message });
      process.exit(1);
    });
}

import type { Logger } from './logger.js';

export interface StoppableService {
  /** Turns readiness to 503 at once while requests are still served (the start of a graceful stop). */
  drain?(): void;
  /** How long to keep serving after `drain` before stopping. */
  drainMs?: number;
  stop(): Promise<void>;
}

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
        logger?.info('shutting down', { signal, drainMs: service.drainMs ?? 0 });
        service.drain?.();
        new Promise((resolve) => setTimeout(resolve, service.drainMs ?? 0))
          .then(() => service.stop())
          .then(() => process.exit(0))
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

import type { Logger } from '@supergraph/runtime';

export interface PeriodicJob {
  /** Stops scheduling and waits for a round in progress to finish. */
  stop(): Promise<void>;
}

/**
 * Runs `round` every `intervalMs` (with up to 20 % jitter, so instances started together do not
 * sweep in step), never two rounds at once; a failed round is logged and the next one runs as usual.
 * A timer, not a job queue: these are per-instance sweeps whose work is safe on every instance.
 */
export function runPeriodically(name: string, intervalMs: number, round: () => Promise<unknown>, logger: Logger): PeriodicJob {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();

  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(tick, intervalMs * (0.8 + Math.random() * 0.2));
    timer.unref();
  };
  const tick = () => {
    running = round()
      .then(
        () => undefined,
        (error: unknown) => logger.warn(`${name} round failed; trying again next round`, { error }),
      )
      .finally(schedule);
  };
  schedule();

  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}

import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLogger, runService, STOP_GRACE_MS } from './index.js';

// runService is driven here by emitting SIGTERM in this process, with process.exit stubbed.
const listenersBefore = { SIGTERM: process.listeners('SIGTERM'), SIGINT: process.listeners('SIGINT') };

afterEach(() => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    for (const listener of process.listeners(signal)) {
      if (!listenersBefore[signal].includes(listener)) process.off(signal, listener);
    }
  }
  vi.useRealTimers();
  vi.restoreAllMocks();
});

/** Starts `service` under runService and resolves once its signal handlers are in place. */
async function run(service: Parameters<typeof runService>[1]) {
  const exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
  const lines: string[] = [];
  const count = process.listenerCount('SIGTERM');
  runService(
    'unit',
    service,
    createLogger('unit', 'info', (line) => lines.push(line)),
  );
  await vi.waitFor(() => expect(process.listenerCount('SIGTERM')).toBe(count + 1));
  return { exit, lines };
}

describe('runService on SIGTERM', () => {
  it('drains at once, stops after the drain time, and exits 0', async () => {
    const events: string[] = [];
    const { exit } = await run(async () => ({
      drainMs: 200,
      deadlineMs: 1_000,
      drain: () => events.push('drain'),
      stop: async () => {
        events.push('stop');
      },
    }));
    vi.useFakeTimers();
    process.emit('SIGTERM', 'SIGTERM');
    expect(events).toEqual(['drain']);
    await vi.advanceTimersByTimeAsync(199);
    expect(events).toEqual(['drain']);
    await vi.advanceTimersByTimeAsync(1);
    expect(events).toEqual(['drain', 'stop']);
    expect(exit).toHaveBeenCalledWith(0);
  });

  it('exits 1 when stopping hangs past the drain, the deadline and the grace, so nothing holds the process forever', async () => {
    const { exit, lines } = await run(async () => ({
      drainMs: 100,
      deadlineMs: 300,
      drain: () => {},
      stop: () => new Promise<void>(() => {}),
    }));
    vi.useFakeTimers();
    process.emit('SIGTERM', 'SIGTERM');
    await vi.advanceTimersByTimeAsync(100 + 300 + STOP_GRACE_MS - 1);
    expect(exit).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(exit).toHaveBeenCalledWith(1);
    expect(lines.some((line) => line.includes('shutdown did not finish in time'))).toBe(true);
  });
});

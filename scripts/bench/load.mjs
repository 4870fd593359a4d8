// One measured run: autocannon drives a target with a scenario for a fixed time while the target's
// CPU time and peak memory (and each subgraph's peak memory) are read from /proc around it.
import autocannon from 'autocannon';
import { cpuMs, peakRssMb, resetPeak } from './proc.mjs';
import { percentile } from './stats.mjs';

/** How long the target's idle CPU use is sampled before each run. */
const IDLE_SAMPLE_MS = 500;
/** Every Nth answer is parsed and its shape checked; every answer is checked for status and "errors". */
const SAMPLE_EVERY = 10;

/**
 * @param {{ url: string, pid: number, headers?: Record<string, string> }} target
 * @param {ReturnType<typeof import('./scenarios.mjs').scenarios>[number]} scenario
 * @param {{ connections: number, durationMs: number, subgraphPids?: Record<string, number> }} options
 */
export async function measure(target, scenario, { connections, durationMs, subgraphPids = {} }) {
  const pids = { target: target.pid, ...subgraphPids };
  for (const pid of Object.values(pids)) resetPeak(pid);
  // What the target burns doing nothing (timers, metrics, its own housekeeping) is taken out of the
  // per-request cost, so a run in which few requests finish is not charged for the idle time.
  const idleStart = cpuMs(target.pid);
  await new Promise((resolve) => setTimeout(resolve, IDLE_SAMPLE_MS));
  const idleMsPerMs = (cpuMs(target.pid) - idleStart) / IDLE_SAMPLE_MS;
  const cpuBefore = cpuMs(target.pid);
  const startedAt = performance.now();
  let sent = 0;
  const latencies = [];
  const problems = { badStatus: 0, errorsInBody: 0, badShape: 0, sampled: 0, example: undefined };
  let answered = 0;
  const instance = autocannon({
    url: target.url,
    connections,
    duration: durationMs / 1000,
    timeout: 20,
    requests: [
      {
        method: 'POST',
        setupRequest: (request) => {
          sent++;
          const { body, token } = scenario.next();
          const headers = { 'content-type': 'application/json', ...target.headers };
          if (token) headers.authorization = `Bearer ${token}`;
          return { ...request, method: 'POST', body, headers };
        },
        onResponse: (status, body) => {
          const n = answered++;
          if (status < 200 || status >= 300) {
            problems.badStatus++;
            problems.example ??= `HTTP ${status}: ${String(body).slice(0, 200)}`;
            return;
          }
          const text = String(body);
          if (text.includes('"errors":')) {
            problems.errorsInBody++;
            problems.example ??= text.slice(0, 300);
            return;
          }
          if (n % SAMPLE_EVERY !== 0) return;
          problems.sampled++;
          let parsed;
          try {
            parsed = JSON.parse(text);
          } catch {
            parsed = undefined;
          }
          if (!scenario.ok(parsed?.data)) {
            problems.badShape++;
            problems.example ??= text.slice(0, 300);
          }
        },
      },
    ],
  });
  instance.on('response', (_client, _status, _bytes, responseTime) => latencies.push(responseTime));
  const result = await instance;
  const elapsedMs = performance.now() - startedAt;
  const cpu = Math.max(0, cpuMs(target.pid) - cpuBefore - idleMsPerMs * elapsedMs);
  latencies.sort((a, b) => a - b);
  const seconds = result.duration || durationMs / 1000;
  const peaks = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, peakRssMb(pid)]));
  return {
    requests: latencies.length,
    rps: latencies.length / seconds,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    p99: percentile(latencies, 99),
    // Socket errors and timeouts, answers that were not 2xx, and 2xx answers with GraphQL errors or the wrong shape.
    errors: result.errors + result.timeouts,
    non2xx: problems.badStatus,
    bad: problems.errorsInBody + problems.badShape,
    sampled: problems.sampled,
    example: problems.example,
    // Per request sent, not answered: when the database holds requests up, the ones still in flight
    // at the end have had most of their gateway work (parse, plan, fetch) done in the run.
    cpuMsPerRequest: sent ? cpu / sent : NaN,
    sent,
    peakRssMb: peaks.target,
    subgraphPeakRssMb: Object.fromEntries(Object.entries(peaks).filter(([name]) => name !== 'target')),
  };
}

/**
 * Waits (at most maxMs) until the processes are nearly idle: requests a run's clients gave up on
 * are still being worked through by the subgraphs and the local database (which scans for anything
 * but an `_id` lookup), and the next run would otherwise pay for them.
 */
export async function settle(pids, { maxMs = 60_000, stepMs = 250, busyShare = 0.1 } = {}) {
  const total = () => pids.reduce((sum, pid) => sum + cpuMs(pid), 0);
  const deadline = Date.now() + maxMs;
  let last = total();
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, stepMs));
    const now = total();
    if (now - last < stepMs * busyShare) return;
    last = now;
  }
}

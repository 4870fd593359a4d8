// Turns the runs into the results file's tables and the target lines.
import { fmt, fmtRatio, markdownTable, median, ratio, roundRatios, targetLine } from './stats.mjs';

/** Successful answers per second: a gateway answering errors fast (an open breaker) is not serving. */
const withOkRps = (r) => ({ ...r, rps: r.requests ? (r.rps * (r.requests - r.non2xx - r.bad)) / r.requests : 0 });
const runsOf = (results, mode, key, connections, target) => (results[mode]?.[key]?.[connections]?.[target] ?? []).map(withOkRps);
const med = (runs, field) => median(runs.map((r) => r[field]));
const max = (values) => {
  const finite = values.filter(Number.isFinite);
  return finite.length ? Math.max(...finite) : NaN;
};

/** Markdown: one table per mode, scenario and connection count. */
export function tables(results, { modes, scenarios, connectionCounts, targetNames }) {
  const out = [];
  for (const mode of modes) {
    for (const scenario of scenarios) {
      for (const connections of connectionCounts) {
        const present = targetNames.filter((t) => runsOf(results, mode, scenario.key, connections, t).length);
        if (!present.length) continue;
        const ours = runsOf(results, mode, scenario.key, connections, 'ours').map((r) => r.rps);
        const rows = present.map((t) => {
          const runs = runsOf(results, mode, scenario.key, connections, t);
          const vs =
            t === 'ours'
              ? null
              : roundRatios(
                  ours,
                  runs.map((r) => r.rps),
                );
          const failures =
            runs.reduce((s, r) => s + r.errors, 0) +
            '/' +
            runs.reduce((s, r) => s + r.non2xx, 0) +
            '/' +
            runs.reduce((s, r) => s + r.bad, 0);
          return [
            t,
            fmt(med(runs, 'rps')),
            fmt(med(runs, 'p50'), 1),
            fmt(med(runs, 'p95'), 1),
            fmt(med(runs, 'p99'), 1),
            failures,
            fmt(med(runs, 'cpuMsPerRequest'), 2),
            fmt(max(runs.map((r) => r.peakRssMb))),
            vs ? `${vs.perRound.map(fmtRatio).join(', ')} (median ${fmtRatio(vs.median)})` : '',
          ];
        });
        out.push(`#### ${scenario.title}: caching ${mode}, ${connections} connections`, '');
        out.push(
          markdownTable(
            [
              'target',
              'ok req/s',
              'p50 ms',
              'p95 ms',
              'p99 ms',
              'errors/non-2xx/bad',
              'CPU ms/req',
              'peak RSS MB',
              'ours ÷ target req/s, per round (median)',
            ],
            rows,
          ),
          '',
        );
      }
    }
  }
  return out.join('\n');
}

/** The target lines, in the order the Performance issue lists them. */
export function targets(results, { connectionCounts, subgraphPeaks, mongoCommands }) {
  const lines = [];
  for (const key of ['s1-identical', 's2-identical', 's3-identical']) {
    for (const c of connectionCounts) {
      const ours = runsOf(results, 'off', key, c, 'ours');
      const hive = runsOf(results, 'off', key, c, 'hive');
      const r = roundRatios(
        ours.map((x) => x.rps),
        hive.map((x) => x.rps),
      ).median;
      const p99 = [med(ours, 'p99'), med(hive, 'p99')];
      lines.push(
        targetLine(
          `${key} caching off, ${c} connections, req/s vs Hive`,
          `${fmtRatio(r)}, p99 ${fmt(p99[0], 1)} vs ${fmt(p99[1], 1)} ms`,
          '>= 1.50x, p99 no worse',
          r >= 1.5 && p99[0] <= p99[1],
        ),
      );
    }
  }
  for (const c of connectionCounts) {
    const cpu = (t) => med(runsOf(results, 'off', 's3-varied', c, t), 'cpuMsPerRequest');
    const vsHive = ratio(cpu('ours'), cpu('hive'));
    const vsApollo = ratio(cpu('ours'), cpu('apollo'));
    lines.push(
      targetLine(
        `s3-varied ${c} connections, gateway CPU per request`,
        `${fmt(cpu('ours'), 2)} ms = ${fmtRatio(vsHive)} Hive's, ${fmtRatio(vsApollo)} plain Apollo's`,
        "<= 0.80x Hive's and <= 1.00x plain Apollo's",
        vsHive <= 0.8 && vsApollo <= 1,
      ),
    );
  }
  for (const c of connectionCounts) {
    const r = roundRatios(
      runsOf(results, 'cache', 's1-identical', c, 'ours').map((x) => x.rps),
      runsOf(results, 'cache', 's1-identical', c, 'hive').map((x) => x.rps),
    ).median;
    lines.push(targetLine(`s1 public listing, best cache each, ${c} connections, req/s vs Hive`, fmtRatio(r), '>= 3.00x', r >= 3));
  }
  const top = Math.max(...connectionCounts);
  const oursRss = max(
    Object.values(results).flatMap((byScenario) =>
      Object.values(byScenario).flatMap((byC) => (byC[top]?.ours ?? []).map((r) => r.peakRssMb)),
    ),
  );
  lines.push(targetLine(`our gateway peak RSS at ${top} connections`, `${fmt(oursRss)} MB`, '< 200 MB', oursRss < 200));
  for (const [name, peak] of Object.entries(subgraphPeaks)) {
    lines.push(targetLine(`${name} subgraph peak RSS`, `${fmt(peak)} MB`, '< 150 MB', peak < 150));
  }
  const m = mongoCommands.ours;
  if (m) {
    lines.push(
      targetLine(
        'MongoDB commands per request, s3 page size 10 → 100 (ours)',
        `${fmt(m[10], 2)} → ${fmt(m[100], 2)}`,
        'constant',
        Number.isFinite(m[10]) && Math.round(m[10]) === Math.round(m[100]),
      ),
    );
  }
  return lines;
}

export const JOBS_BURST_TITLE = 'Background jobs: a burst of 200 confirmations';

/** The jobs phase's table and summary (scripts/bench/jobs-burst.mjs), for the console and the results file alike. */
export function jobsBurstLines(r) {
  const cell = (w) => `${fmt(w.p50, 1)} / ${fmt(w.p99, 1)} (${w.count})`;
  const vs = (w, base) => `${fmtRatio(ratio(w.p50, base.p50))} / ${fmtRatio(ratio(w.p99, base.p99))}`;
  const row = (name) => {
    const [idle, confirming, busy] = [r.idle[name], r.confirming[name], r.busy[name]];
    return [`\`${name}\``, cell(idle), cell(confirming), cell(busy), vs(busy, idle), vs(confirming, idle)];
  };
  const j = r.jobs;
  const queues = Object.entries(j.byQueue)
    .map(([name, c]) => `${name} ${c.completed}/${c.failed}/${c.unfinished}`)
    .join(', ');
  const firstFailure = [r.idle, r.confirming, r.busy].find((w) => w.example)?.example;
  const reasons = Object.entries(j.reasons).map(([reason, n]) => `${n}x ${reason}`);
  return [
    markdownTable(
      [
        'mutation',
        'idle: p50 / p99 ms (count)',
        'while the burst is confirmed (no worker)',
        'worker busy with the backlog',
        'busy ÷ idle, p50 / p99',
        'confirming ÷ idle, p50 / p99',
      ],
      [row('placeOrder'), row('updateOrderStatus')],
    ),
    '',
    `- load throughout: ${r.clients} clients through our gateway (caching off), each placing an order and confirming it as the admin, a pair at most every ${r.paceMs} ms; failed requests idle ${r.idle.failed}, confirming ${r.confirming.failed}, busy ${r.busy.failed}${
      firstFailure ? ` (first: ${firstFailure})` : ''
    }`,
    `- idle: ${fmt(r.idleMs / 1000, 1)} s with no worker running; confirming: the ${fmt(r.confirmMs / 1000, 1)} s the burst's confirmations took (${r.burst} orders of ${r.customers} customers with proved phone numbers, ${r.inFlight} confirmations in flight at a time), still no worker, so the jobs piled up; busy: ${fmt(r.afterMs / 1000, 1)} s from the worker's start (${j.unfinished ? `the ${fmt(r.waitCapMs / 1000)} s cap, reached before` : 'until'} the burst's jobs had finished), ${r.unfinishedAtEnd} jobs waiting when it started`,
    `- the worker (one process, ${r.invoiceConcurrency ?? 'default'} invoice job(s) at a time; SMS to a local receiver answering 200): the burst's ${j.total} jobs (${r.burst} invoices, ${r.burst} notices) ${
      j.completed === j.total ? `all completed, the last ${fmt(j.workerMs / 1000, 1)} s after the worker started` : '**not all completed**'
    }; completed/failed/unfinished ${queues}; invoices finished at ${fmt((j.byQueue.invoices?.completed ?? 0) / (r.afterMs / 1000), 2)} a second; ${j.failedAttempts} failed attempts; notices sent ${j.smsSent} (no phone number ${j.noPhone}), SMS received ${j.smsReceived}`,
    ...(reasons.length ? [`- failure reasons: ${reasons.join('; ')}`] : []),
  ];
}

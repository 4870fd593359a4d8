import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parser } from '@prometheus-io/lezer-promql';
import { describe, expect, inject, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { ErrorCode } from '@supergraph/runtime';
import { adminToken, createProduct, errorCodes, gql, gqlOk, signUpCustomer } from './helpers.js';
import { scrape, type MetricFamily } from './prometheus-text.js';

// The operations artefacts in ops/ (Grafana dashboard, Prometheus rules, runbook) checked against
// what the running services export: a panel or an alert on a metric nobody exports, or a label it
// does not carry, shows nothing and fires never, silently.

const root = resolve(import.meta.dirname, '..');
const DASHBOARD = 'ops/grafana/supergraph-dashboard.json';
const RULES = 'ops/prometheus/alerts.yml';
const RUNBOOK = 'ops/README.md';

type Service = 'gateway' | 'users' | 'catalog' | 'orders';
const SERVICES: Service[] = ['gateway', 'users', 'catalog', 'orders'];
const urlOf = (service: Service) => (service === 'gateway' ? inject('gatewayUrl') : inject('subgraphUrls')[service]);

/** Series names Prometheus makes itself, so no service exports them. */
const SYNTHESISED = new Set([
  'up', // the health of each scrape target, with the target's job and instance labels
  'ALERTS', // one series per pending or firing alert, for the dashboard's alert table
]);
/** Labels Prometheus attaches to every scraped series from the target, not from the exposition. */
const TARGET_LABELS = new Set(['job', 'instance']);
/**
 * Series that exist only after something rare (a retry, a rate-limit refusal, a subscription): in a
 * quiet test stack their families have no samples, so which labels they carry cannot be read.
 */
const RARE_SERIES = new Set(['gateway_subgraph_retries_total', 'rate_limit_rejections_total', 'gateway_subscriptions_started_total']);

// ---------- PromQL, read with Prometheus's own grammar

type SyntaxNode = ReturnType<typeof parser.parse>['topNode'];

interface Matcher {
  label: string;
  op: string;
  value: string;
}
interface Selector {
  metric: string;
  matchers: Matcher[];
}
/** The `by (...)` labels of one aggregation and the selectors it aggregates over. */
interface Grouping {
  labels: string[];
  selectors: Selector[];
}
interface Expression {
  expr: string;
  /** Where it is, for messages: a panel title or a rule name. */
  where: string;
  selectors: Selector[];
  groupings: Grouping[];
  syntaxErrors: string[];
}

const children = (node: SyntaxNode): SyntaxNode[] => {
  const all: SyntaxNode[] = [];
  for (let child = node.firstChild; child; child = child.nextSibling) all.push(child);
  return all;
};
const descendants = (node: SyntaxNode, name: string): SyntaxNode[] =>
  children(node).flatMap((child) => [...(child.name === name ? [child] : []), ...descendants(child, name)]);

/** A PromQL string literal's value: double-quoted strings escape as JSON does; single-quoted and raw ones are taken as they are. */
function stringValue(literal: string): string {
  if (literal.startsWith('"')) return JSON.parse(literal) as string;
  return literal.slice(1, -1);
}

function analyse(expr: string, where: string): Expression {
  const tree = parser.parse(expr);
  const text = (node: SyntaxNode) => expr.slice(node.from, node.to);
  const syntaxErrors: string[] = [];
  tree.iterate({
    enter: (node) => {
      if (node.type.isError)
        syntaxErrors.push(`syntax error at ${node.from}: …${expr.slice(Math.max(0, node.from - 20), node.from + 20)}…`);
    },
  });
  const selectorsIn = (node: SyntaxNode): Selector[] =>
    descendants(node, 'VectorSelector').map((selector) => {
      const identifier = selector.getChild('Identifier');
      const matchers = descendants(selector, 'UnquotedLabelMatcher').map((matcher) => ({
        label: text(matcher.getChild('LabelName')!),
        op: text(matcher.getChild('MatchOp')!),
        value: stringValue(text(matcher.getChild('StringLiteral')!)),
      }));
      if (!identifier) syntaxErrors.push(`a selector without a metric name: ${text(selector)}`);
      return { metric: identifier ? text(identifier) : '', matchers };
    });
  const groupings = descendants(tree.topNode, 'AggregateExpr').flatMap((aggregate) => {
    const modifier = aggregate.getChild('AggregateModifier');
    if (!modifier?.getChild('By')) return [];
    const labels = descendants(modifier, 'LabelName').map(text);
    return [{ labels, selectors: selectorsIn(aggregate) }];
  });
  return { expr, where, selectors: selectorsIn(tree.topNode), groupings, syntaxErrors };
}

// ---------- The files

interface Rule {
  record?: string;
  alert?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { type: string; uid: string };
  targets?: { expr: string; datasource?: { uid: string } }[];
  panels?: Panel[];
}
interface Dashboard {
  schemaVersion: number;
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: { name: string; type: string; query: unknown; definition?: string; multi?: boolean }[] };
}

const readRules = (): Rule[] =>
  (parseYaml(readFileSync(resolve(root, RULES), 'utf8')) as { groups: { name: string; rules: Rule[] }[] }).groups.flatMap((g) => g.rules);
const readDashboard = (): Dashboard => JSON.parse(readFileSync(resolve(root, DASHBOARD), 'utf8')) as Dashboard;
const allPanels = (panels: Panel[]): Panel[] => panels.flatMap((panel) => [panel, ...allPanels(panel.panels ?? [])]);

/** Grafana's interval macros stand where PromQL wants a duration; any duration will do to parse. */
const withGrafanaMacros = (expr: string) =>
  expr.replace(/\$__(rate_interval|interval|range)\b|\$\{__(rate_interval|interval|range)\}/g, '5m');

/** The PromQL of the dashboard (every target and the service variable's label_values) and of the rules. */
function expressions(dashboard: Dashboard, rules: Rule[]): Expression[] {
  const fromPanels = allPanels(dashboard.panels).flatMap((panel) =>
    (panel.targets ?? []).map((target) => analyse(withGrafanaMacros(target.expr), `panel "${panel.title}"`)),
  );
  // label_values(<selector>, <label>) is Grafana's, around a PromQL selector.
  const fromVariables = dashboard.templating.list.flatMap((variable) => {
    const definition = typeof variable.query === 'string' ? variable.query : ((variable.query as { query?: string })?.query ?? '');
    const call = /^label_values\((.+),\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\)$/.exec(definition.trim());
    if (!call) return [];
    const selector = analyse(call[1], `variable ${variable.name}`);
    return [{ ...selector, groupings: [{ labels: [call[2]], selectors: selector.selectors }] }];
  });
  const fromRules = rules.map((rule) => analyse(rule.expr, rule.alert ? `alert ${rule.alert}` : `recording rule ${rule.record}`));
  return [...fromPanels, ...fromVariables, ...fromRules];
}

// ---------- What the services export

/** Series names a scrape can hold and, for each, the label names seen on its samples. */
interface Exported {
  series: Set<string>;
  labels: Map<string, Set<string>>;
  /** `le` values of each histogram's _bucket series. */
  buckets: Map<string, Set<string>>;
}

function exportedBy(scrapes: MetricFamily[][]): Exported {
  const series = new Set<string>();
  const labels = new Map<string, Set<string>>();
  const buckets = new Map<string, Set<string>>();
  for (const family of scrapes.flat()) {
    // A histogram family `x` is queried as x_bucket, x_sum and x_count, never as x itself.
    const names =
      family.type === 'histogram'
        ? ['_bucket', '_sum', '_count'].map((suffix) => family.name + suffix)
        : family.type === 'summary'
          ? [family.name, `${family.name}_sum`, `${family.name}_count`]
          : [family.name];
    for (const name of names) series.add(name);
    for (const sample of family.samples) {
      const seen = labels.get(sample.name) ?? new Set<string>();
      for (const label of Object.keys(sample.labels)) seen.add(label);
      labels.set(sample.name, seen);
      if (sample.labels.le !== undefined) buckets.set(sample.name, (buckets.get(sample.name) ?? new Set()).add(sample.labels.le));
    }
  }
  return { series, labels, buckets };
}

/** The labels a recording rule's series carry: those its aggregations keep (`by`). */
function recordedLabels(rules: Rule[]): Map<string, Set<string>> {
  return new Map(
    rules
      .filter((rule) => rule.record)
      .map((rule) => [rule.record!, new Set(analyse(rule.expr, rule.record!).groupings.flatMap((g) => g.labels))] as const),
  );
}

const ERROR_CODES = new Set<string>(Object.values(ErrorCode));
const fullMatch = (pattern: string, value: string) => new RegExp(`^(?:${pattern})$`).test(value);

/**
 * Every problem found in the expressions, as a message: syntax errors, metrics no service exports,
 * labels a metric does not carry (in matchers and in `by`), error codes that do not exist and
 * bucket bounds a histogram does not have.
 */
function problemsOf(
  all: Expression[],
  exported: Exported,
  recorded: Map<string, Set<string>>,
): { problems: string[]; unverified: Set<string> } {
  const problems: string[] = [];
  const unverified = new Set<string>();
  /** The labels a series carries, or undefined where that cannot be known here. */
  const labelsOf = (metric: string): Set<string> | undefined => {
    if (recorded.has(metric)) return recorded.get(metric)!.size > 0 ? recorded.get(metric) : undefined;
    if (SYNTHESISED.has(metric)) return undefined;
    const seen = exported.labels.get(metric);
    if (!seen && exported.series.has(metric)) unverified.add(metric);
    return seen;
  };
  const hasLabel = (metric: string, label: string) =>
    TARGET_LABELS.has(label) || label === '__name__' || labelsOf(metric)?.has(label) !== false;

  for (const { where, expr, selectors, groupings, syntaxErrors } of all) {
    for (const error of syntaxErrors) problems.push(`${where}: ${error} in ${expr}`);
    for (const { metric, matchers } of selectors) {
      if (!metric) continue;
      if (!exported.series.has(metric) && !SYNTHESISED.has(metric) && !recorded.has(metric)) {
        problems.push(`${where}: no service exports ${metric}`);
        continue;
      }
      for (const { label, op, value } of matchers) {
        if (!hasLabel(metric, label)) problems.push(`${where}: ${metric} has no label ${label}`);
        const values = op === '=~' || op === '!~' ? value.split('|') : [value];
        if (label === 'code') {
          for (const code of values)
            if (!ERROR_CODES.has(code)) problems.push(`${where}: ${code} is not an ErrorCode (packages/runtime/src/errors.ts)`);
        }
        if (label === 'le' && exported.buckets.has(metric)) {
          const bounds = [...exported.buckets.get(metric)!];
          const matching = bounds.filter((bound) => (op === '=~' || op === '!~' ? fullMatch(value, bound) : bound === value));
          if (matching.length === 0) problems.push(`${where}: ${metric} has no bucket le=${value} (it has ${bounds.join(', ')})`);
        }
      }
    }
    for (const { labels, selectors: inside } of groupings) {
      const metrics = inside.map((s) => s.metric).filter(Boolean);
      // A label kept by `by` must be on at least one of the series aggregated (when their labels are known).
      const known = metrics.map((metric) => labelsOf(metric)).filter((seen): seen is Set<string> => seen !== undefined);
      if (known.length === 0 || known.length < metrics.length) continue;
      for (const label of labels) {
        if (!TARGET_LABELS.has(label) && !known.some((seen) => seen.has(label))) {
          problems.push(`${where}: by (${label}) but ${metrics.join(', ')} carry no label ${label}`);
        }
      }
    }
  }
  return { problems, unverified };
}

/** GitHub's anchor for a Markdown heading. */
const anchorOf = (heading: string) =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');

// ---------- The tests

describe('the files in ops/ on their own', () => {
  const rules = readRules();
  const dashboard = readDashboard();
  const alerts = rules.filter((rule) => rule.alert);

  it('every PromQL expression parses without error', () => {
    const all = expressions(dashboard, rules);
    expect(all.length).toBeGreaterThan(40);
    expect(all.flatMap((e) => e.syntaxErrors.map((error) => `${e.where}: ${error}`))).toEqual([]);
  });

  it('defines the alerts the runbook describes, each with severity, summary, description and a runbook section', () => {
    const headings = new Set(
      readFileSync(resolve(root, RUNBOOK), 'utf8')
        .split('\n')
        .filter((line) => /^#{1,6} /.test(line))
        .map((line) => anchorOf(line.replace(/^#+ /, ''))),
    );
    expect(new Set(alerts.map((a) => a.alert))).toEqual(
      new Set([
        'GraphQLErrorBudgetBurnFast',
        'GraphQLErrorBudgetBurnSlow',
        'GraphQLLatencyBudgetBurnFast',
        'GraphQLLatencyBudgetBurnSlow',
        'GatewayDown',
        'SubgraphDown',
        'CircuitBreakerOpen',
        'EventLoopLagHigh',
        'MongoDBCommandsSlow',
        'OutboxBacklogGrowing',
        'EventTransportDown',
        'RateLimitRejectionsHigh',
        'SlowConsumersCutOff',
      ]),
    );
    for (const alert of alerts) {
      expect(['critical', 'warning', 'info'], alert.alert).toContain(alert.labels?.severity);
      for (const key of ['summary', 'description', 'runbook'])
        expect(alert.annotations?.[key]?.trim(), `${alert.alert} ${key}`).toBeTruthy();
      const runbook = /^ops\/README\.md#(.+)$/.exec(alert.annotations!.runbook);
      expect(runbook, `${alert.alert} runbook ${alert.annotations!.runbook}`).not.toBeNull();
      expect(headings, `${alert.alert}: ${RUNBOOK} has no heading for #${runbook![1]}`).toContain(runbook![1]);
    }
    // Recording rules follow level:metric:operations, so they never collide with an exported name.
    for (const rule of rules.filter((r) => r.record)) expect(rule.record).toMatch(/^[a-z_]+:[a-z_]+:[a-z0-9_]+$/);
  });

  it('burns the error budget in two windows at 14.4x and 6x, on server-side codes only', () => {
    const burn = (name: string) => alerts.find((a) => a.alert === name)!.expr.replace(/\s+/g, ' ');
    expect(burn('GraphQLErrorBudgetBurnFast')).toMatch(
      /ratio_rate1h\{.*\} > \(14\.4 \* 0\.001\) and .*ratio_rate5m\{.*\} > \(14\.4 \* 0\.001\)/,
    );
    expect(burn('GraphQLErrorBudgetBurnSlow')).toMatch(/ratio_rate6h\{.*\} > \(6 \* 0\.001\) and .*ratio_rate30m\{.*\} > \(6 \* 0\.001\)/);
    expect(burn('GraphQLLatencyBudgetBurnFast')).toMatch(
      /ratio_rate1h\{.*\} > \(14\.4 \* 0\.01\) and .*ratio_rate5m\{.*\} > \(14\.4 \* 0\.01\)/,
    );
    expect(burn('GraphQLLatencyBudgetBurnSlow')).toMatch(/ratio_rate6h\{.*\} > \(6 \* 0\.01\) and .*ratio_rate30m\{.*\} > \(6 \* 0\.01\)/);
    const counted = new Set(
      rules
        .flatMap((rule) => analyse(rule.expr, '').selectors)
        .filter((s) => s.metric === 'graphql_errors_total')
        .flatMap((s) => s.matchers.filter((m) => m.label === 'code' && m.op === '=~').flatMap((m) => m.value.split('|'))),
    );
    expect(counted).toEqual(new Set([ErrorCode.Internal, ErrorCode.ServiceUnavailable, ErrorCode.SubgraphUnavailable]));
  });

  it('is a dashboard Grafana imports: a Prometheus datasource variable, a service variable, unique panel ids', () => {
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
    expect(dashboard.uid).toMatch(/^[a-zA-Z0-9_-]{1,40}$/);
    const variables = Object.fromEntries(dashboard.templating.list.map((v) => [v.name, v]));
    expect(variables.datasource).toMatchObject({ type: 'datasource', query: 'prometheus' });
    expect(variables.service).toMatchObject({ type: 'query', definition: 'label_values(graphql_requests_total, service)', multi: true });
    const panels = allPanels(dashboard.panels);
    expect(new Set(panels.map((p) => p.id)).size).toBe(panels.length);
    for (const panel of panels.filter((p) => p.type !== 'row')) {
      expect(panel.datasource, panel.title).toEqual({ type: 'prometheus', uid: '${datasource}' });
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
    }
  });
});

describe('the dashboard and the rules against the running services', () => {
  it('name only metrics and labels the services export', async () => {
    // Traffic, so the labelled series exist: a query, a refused query (an error, no mutation) and
    // reads that reach the catalog (a listing and by-id loads through its DataLoader), users and orders.
    const admin = await adminToken();
    const product = await createProduct(admin, { stock: 5 });
    const customer = await signUpCustomer();
    await gqlOk('query OpsListing { products(first: 3) { edges { node { id name } } } }');
    for (let i = 0; i < 2; i++) await gqlOk('query OpsProduct($id: ID!) { product(id: $id) { id name stock } }', { id: product.id });
    expect(errorCodes(await gql('query OpsBadId { product(id: "not-an-id") { id } }'))).toEqual(['BAD_USER_INPUT']);
    await gqlOk('query OpsMe { me { name orders(first: 1) { edges { node { id } } } } }', {}, customer.token);

    const scrapes = await Promise.all(SERVICES.map((service) => scrape(urlOf(service))));
    const exported = exportedBy(scrapes);
    const rules = readRules();
    const all = expressions(readDashboard(), rules);
    const { problems, unverified } = problemsOf(all, exported, recordedLabels(rules));
    expect(problems).toEqual([]);
    // Only series that need a rare event to have samples escape the label checks.
    for (const metric of unverified) expect(RARE_SERIES, `labels of ${metric} could not be checked`).toContain(metric);

    // Every family the telemetry code defines is on some panel: nothing exported goes unwatched.
    const named = new Set(all.flatMap((e) => e.selectors.map((s) => s.metric)));
    const ownFamilies = scrapes
      .flat()
      .map((family) => family.name)
      .filter((name) => !/^(process|nodejs)_/.test(name));
    const unwatched = [...new Set(ownFamilies)].filter(
      (name) => ![name, `${name}_bucket`, `${name}_sum`, `${name}_count`].some((series) => named.has(series)),
    );
    expect(unwatched).toEqual([]);
  });

  it('the checks catch a misspelt metric, a missing label, an unknown code and a bucket that does not exist', async () => {
    const exported = exportedBy([await scrape(urlOf('gateway')), await scrape(urlOf('catalog'))]);
    const check = (expr: string) => problemsOf([analyse(expr, 'probe')], exported, new Map()).problems;
    expect(check('sum by (type) (rate(graphql_requests_total[5m]))')).toEqual([]);
    expect(check('sum(rate(graphql_request_total[5m]))')).toEqual(['probe: no service exports graphql_request_total']);
    expect(check('graphql_request_duration_seconds')).toEqual(['probe: no service exports graphql_request_duration_seconds']);
    expect(check('sum by (subgraf) (gateway_subgraph_breaker_state)')).toEqual([
      'probe: by (subgraf) but gateway_subgraph_breaker_state carry no label subgraf',
    ]);
    expect(check('gateway_subgraph_breaker_state{subgraf="catalog"}')).toEqual([
      'probe: gateway_subgraph_breaker_state has no label subgraf',
    ]);
    expect(check('graphql_errors_total{code=~"INTERNAL_SERVER_ERROR|TIMEOUT"}')).toEqual([
      'probe: TIMEOUT is not an ErrorCode (packages/runtime/src/errors.ts)',
    ]);
    expect(check('graphql_request_duration_seconds_bucket{le="0.75"}')[0]).toMatch(/has no bucket le=0\.75/);
    expect(check('rate(graphql_requests_total[5m]')[0]).toMatch(/syntax error/);
  });
});

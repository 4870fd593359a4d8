/** One sample line of the Prometheus text format: `name{label="value",...} value`. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** A metric family: its TYPE and every sample under it (a histogram's _bucket, _sum and _count lines). */
export interface MetricFamily {
  name: string;
  type: string;
  samples: Sample[];
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?\s*/gy;

/**
 * Parses the Prometheus text exposition format (version 0.0.4), strictly: a line that is neither
 * a comment nor a well-formed sample fails the parse. Written here because the npm parsers found
 * (parse-prometheus-text-format 1.1.1) drop the labels and counts of labelled histograms.
 */
export function parsePrometheusText(text: string): MetricFamily[] {
  const families = new Map<string, MetricFamily>();
  const familyOf = (name: string) => {
    const base = [...families.keys()].find((f) => name === f || (name.startsWith(f) && /^_(bucket|sum|count)$/.test(name.slice(f.length))));
    return base ? families.get(base)! : undefined;
  };
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const type = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (type) {
      families.set(type[1], { name: type[1], type: type[2], samples: [] });
      continue;
    }
    if (line.startsWith('#')) continue;
    const match = SAMPLE.exec(line);
    if (!match) throw new Error(`not a Prometheus sample line: ${line}`);
    const labels: Record<string, string> = {};
    const body = match[2] ?? '';
    LABEL.lastIndex = 0;
    let consumed = 0;
    for (let label = LABEL.exec(body); label; label = LABEL.exec(body)) {
      labels[label[1]] = label[2].replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
      consumed = LABEL.lastIndex;
    }
    if (consumed !== body.length) throw new Error(`malformed labels in: ${line}`);
    const value = Number(match[3].replace(/^\+Inf$/, 'Infinity').replace(/^-Inf$/, '-Infinity'));
    if (Number.isNaN(value) && match[3] !== 'NaN') throw new Error(`malformed value in: ${line}`);
    const family = familyOf(match[1]);
    if (!family) throw new Error(`sample before its # TYPE line: ${line}`);
    family.samples.push({ name: match[1], labels, value });
  }
  return [...families.values()];
}

/** GET <service>/metrics, parsed. `graphqlUrl` is the service's /graphql URL. */
export async function scrape(graphqlUrl: string): Promise<MetricFamily[]> {
  const response = await fetch(new URL('/metrics', graphqlUrl));
  if (response.status !== 200) throw new Error(`GET /metrics answered ${response.status}`);
  const type = response.headers.get('content-type') ?? '';
  if (!type.startsWith('text/plain')) throw new Error(`GET /metrics answered ${type}, not Prometheus text`);
  return parsePrometheusText(await response.text());
}

const matches = (labels: Record<string, string>, wanted: Record<string, string>) =>
  Object.entries(wanted).every(([key, value]) => labels[key] === value);

/** The sum over the series of `name` whose labels include `labels`: a counter's or gauge's value, a histogram's count. */
export function valueOf(families: MetricFamily[], name: string, labels: Record<string, string> = {}): number {
  const family = families.find((f) => f.name === name);
  if (!family) return 0;
  const sampleName = family.type === 'histogram' ? `${name}_count` : name;
  return family.samples.filter((s) => s.name === sampleName && matches(s.labels, labels)).reduce((total, s) => total + s.value, 0);
}

/** A histogram's buckets (upper bound → cumulative count) for the one series whose labels include `labels`. */
export function bucketsOf(families: MetricFamily[], name: string, labels: Record<string, string>): [number, number][] {
  const family = families.find((f) => f.name === name);
  return (family?.samples ?? [])
    .filter((s) => s.name === `${name}_bucket` && matches(s.labels, labels))
    .map((s) => [Number(s.labels.le.replace('+Inf', 'Infinity')), s.value] as [number, number])
    .sort((a, b) => a[0] - b[0]);
}

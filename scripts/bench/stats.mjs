// Pure arithmetic and formatting of `npm run bench`: kept apart from the processes so a unit test
// (test/bench-stats.test.ts) can hold it without starting anything.

/** The value at percentile p (0–100) of ascending `sorted` (nearest rank), NaN for none. */
export function percentile(sorted, p) {
  if (!sorted.length) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

/** Median of the finite numbers in `values` (mean of the middle two for an even count), NaN for none. */
export function median(values) {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (!sorted.length) return NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** a / b, NaN when either is missing or b is 0 (a ratio to nothing says nothing). */
export function ratio(a, b) {
  return Number.isFinite(a) && Number.isFinite(b) && b !== 0 ? a / b : NaN;
}

/** Round-by-round ratios of `ours` to `peer` (same index, same round) and their median. */
export function roundRatios(ours, peer) {
  const perRound = ours.map((value, i) => ratio(value, peer[i]));
  return { perRound, median: median(perRound) };
}

/** A number for a table cell: '–' for missing, otherwise `digits` decimals. */
export function fmt(value, digits = 0) {
  return Number.isFinite(value) ? value.toFixed(digits) : '–';
}

/** "1.52x" style, or '–'. */
export const fmtRatio = (value) => (Number.isFinite(value) ? `${value.toFixed(2)}x` : '–');

/**
 * One target's verdict line: `target <name>: <measured> (goal <goal>) met|missed`. A target that
 * could not be measured (NaN in `met`'s inputs) is missed: an unmeasured goal is not a met one.
 */
export function targetLine(name, measured, goal, met) {
  return `target ${name}: ${measured} (goal ${goal}) ${met === true ? 'met' : 'missed'}`;
}

/** A Markdown table from a header row and rows of cells (cells are written as given). */
export function markdownTable(header, rows) {
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

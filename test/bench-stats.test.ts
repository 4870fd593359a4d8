import { describe, expect, it } from 'vitest';
import { fmtRatio, markdownTable, median, percentile, ratio, roundRatios, targetLine } from '../scripts/bench/stats.mjs';

describe('bench statistics', () => {
  it('takes medians of odd and even counts, ignoring missing values', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([NaN, 5])).toBe(5);
    expect(median([])).toBeNaN();
  });

  it('reads percentiles by nearest rank', () => {
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(sorted, 50)).toBe(50);
    expect(percentile(sorted, 99)).toBe(99);
    expect(percentile([7], 95)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
  });

  it('gives no ratio to nothing, and per-round ratios with their median', () => {
    expect(ratio(3, 0)).toBeNaN();
    expect(ratio(3, NaN)).toBeNaN();
    const { perRound, median: m } = roundRatios([300, 200, 100], [100, 100, 100]);
    expect(perRound).toEqual([3, 2, 1]);
    expect(m).toBe(2);
    expect(fmtRatio(1.5)).toBe('1.50x');
    expect(fmtRatio(NaN)).toBe('–');
  });

  it('writes target lines, an unmeasured target as missed', () => {
    expect(targetLine('x', '1.60x', '>= 1.5x', true)).toBe('target x: 1.60x (goal >= 1.5x) met');
    expect(targetLine('x', '–', '>= 1.5x', false)).toBe('target x: – (goal >= 1.5x) missed');
    expect(targetLine('x', '–', '>= 1.5x', Number.parseFloat('–') >= 1.5)).toMatch(/missed$/);
  });

  it('writes Markdown tables', () => {
    expect(markdownTable(['a', 'b'], [['1', '2']])).toBe('| a | b |\n| --- | --- |\n| 1 | 2 |');
  });
});

import { describe, expect, it } from 'vitest';
import { ANONYMOUS_OPERATION, OperationLabels, OTHER_OPERATIONS } from './operation-label.js';

describe('OperationLabels', () => {
  it('labels unnamed operations as anonymous and keeps valid names', () => {
    const labels = new OperationLabels();
    expect(labels.labelFor(undefined)).toBe(ANONYMOUS_OPERATION);
    expect(labels.labelFor(null)).toBe(ANONYMOUS_OPERATION);
    expect(labels.labelFor('')).toBe(ANONYMOUS_OPERATION);
    expect(labels.labelFor('HomeScreen')).toBe('HomeScreen');
    expect(labels.labelFor('HomeScreen__catalog__0')).toBe('HomeScreen__catalog__0');
  });

  it('bounds the label: past the cap, new names are "other" while known ones stay', () => {
    const labels = new OperationLabels(3);
    expect(['A', 'B', 'C'].map((n) => labels.labelFor(n))).toEqual(['A', 'B', 'C']);
    expect(labels.labelFor('D')).toBe(OTHER_OPERATIONS);
    expect(labels.labelFor('B')).toBe('B');
  });

  it('never makes a label of what is not a GraphQL name (ids, documents, huge strings)', () => {
    const labels = new OperationLabels();
    for (const name of ['65f1c2d3e4b5a6978899aabb', '{ products { id } }', 'x'.repeat(65), 'naïve', 'a-b']) {
      expect(labels.labelFor(name), name).toBe(OTHER_OPERATIONS);
    }
  });
});

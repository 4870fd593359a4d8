import { describe, expect, it } from 'vitest';
import { gstinCheckCharacter, gstinProblem } from './gstin.js';

describe('GSTIN validation', () => {
  it('accepts a GSTIN with the right check character', () => {
    expect(gstinCheckCharacter('27AAPFU0939F1Z')).toBe('V');
    expect(gstinProblem('27AAPFU0939F1ZV')).toBeNull();
  });

  it('refuses a wrong check character or shape', () => {
    expect(gstinProblem('27AAPFU0939F1ZW')).toMatch(/check character \(W; the first 14 characters give V\)/);
    expect(gstinProblem('27AAPFU0939F1Z')).toMatch(/15 characters/);
    expect(gstinProblem('27aapfu0939f1zv')).toMatch(/15 characters/);
    expect(gstinProblem('27AAPFU0939F1XV')).toMatch(/15 characters/);
  });
});

import { describe, expect, it } from 'vitest';
import { amountInWords, formatRupees, numberInWords } from './words.js';

describe('amounts in words, Indian style', () => {
  it('writes rupees and paise with lakhs and crores', () => {
    expect(amountInWords(12345678)).toBe('Rupees One Lakh Twenty-Three Thousand Four Hundred Fifty-Six and Seventy-Eight Paise Only');
    expect(amountInWords(1_000_000_000)).toBe('Rupees One Crore Only');
    expect(amountInWords(123456789012)).toBe(
      'Rupees One Hundred Twenty-Three Crore Forty-Five Lakh Sixty-Seven Thousand Eight Hundred Ninety and Twelve Paise Only',
    );
  });

  it('handles zero, paise alone and round hundreds', () => {
    expect(amountInWords(0)).toBe('Rupees Zero Only');
    expect(amountInWords(5)).toBe('Rupees Zero and Five Paise Only');
    expect(amountInWords(110000)).toBe('Rupees One Thousand One Hundred Only');
    expect(numberInWords(90)).toBe('Ninety');
    expect(numberInWords(1_00_00_00_000)).toBe('One Hundred Crore');
  });

  it('refuses what is not a whole, non-negative amount', () => {
    expect(() => amountInWords(-1)).toThrow(/0 or more/);
    expect(() => amountInWords(1.5)).toThrow(/whole paise/);
  });

  it('formats rupees with Indian digit grouping', () => {
    expect(formatRupees(12345678)).toBe('1,23,456.78');
    expect(formatRupees(5)).toBe('0.05');
    expect(formatRupees(100_000_000)).toBe('10,00,000.00');
    expect(formatRupees(99_900)).toBe('999.00');
    expect(formatRupees(123456789012)).toBe('1,23,45,67,890.12');
  });
});

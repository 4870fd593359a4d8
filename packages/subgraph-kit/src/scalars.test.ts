import { describe, expect, it } from 'vitest';
import { GraphQLError, Kind, type ValueNode } from 'graphql';
import { DateTimeScalar } from './index.js';

describe('DateTime scalar', () => {
  it('serializes dates, timestamps and date strings as UTC ISO-8601', () => {
    const instant = '2026-10-20T05:30:00.000Z';
    expect(DateTimeScalar.serialize(new Date(instant))).toBe(instant);
    expect(DateTimeScalar.serialize(Date.parse(instant))).toBe(instant);
    expect(DateTimeScalar.serialize('2026-10-20T11:00:00+05:30')).toBe(instant);
  });

  it('refuses to serialize an invalid date', () => {
    expect(() => DateTimeScalar.serialize('not a date')).toThrow(TypeError);
    expect(() => DateTimeScalar.serialize(new Date(Number.NaN))).toThrow(TypeError);
  });

  it('parses variables given as ISO strings', () => {
    const parsed = DateTimeScalar.parseValue('2026-10-20T11:00:00+05:30');
    expect(parsed).toBeInstanceOf(Date);
    expect(parsed.toISOString()).toBe('2026-10-20T05:30:00.000Z');
  });

  it.each([12345, 'yesterday', null, {}])('refuses the variable %j with BAD_USER_INPUT', (value) => {
    try {
      DateTimeScalar.parseValue(value);
      throw new Error('expected parseValue to throw');
    } catch (error) {
      expect(error).toBeInstanceOf(GraphQLError);
      expect((error as GraphQLError).extensions.code).toBe('BAD_USER_INPUT');
    }
  });

  it('parses string literals and refuses other literals', () => {
    expect(DateTimeScalar.parseLiteral({ kind: Kind.STRING, value: '2026-01-26T00:00:00Z' }).toISOString()).toBe(
      '2026-01-26T00:00:00.000Z',
    );
    const bad: ValueNode[] = [
      { kind: Kind.INT, value: '1700000000000' },
      { kind: Kind.STRING, value: 'Republic Day' },
    ];
    for (const node of bad) {
      expect(() => DateTimeScalar.parseLiteral(node)).toThrow(/DateTime: expected an ISO-8601/);
    }
  });
});

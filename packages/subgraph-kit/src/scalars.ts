import { GraphQLScalarType, Kind } from 'graphql';
import { badInput } from '@supergraph/runtime';

/** ISO-8601 date-time string, always UTC. */
export const DateTimeScalar = new GraphQLScalarType({
  name: 'DateTime',
  description: 'An ISO-8601 date-time in UTC, e.g. 2026-10-20T05:30:00.000Z',
  serialize(value) {
    const date = value instanceof Date ? value : new Date(value as string | number);
    if (Number.isNaN(date.getTime())) throw new TypeError('DateTime cannot serialize an invalid date');
    return date.toISOString();
  },
  parseValue(value) {
    const date = typeof value === 'string' ? new Date(value) : new Date(NaN);
    if (Number.isNaN(date.getTime())) throw badInput('DateTime', 'expected an ISO-8601 date-time string');
    return date;
  },
  parseLiteral(ast) {
    if (ast.kind !== Kind.STRING) throw badInput('DateTime', 'expected an ISO-8601 date-time string');
    const date = new Date(ast.value);
    if (Number.isNaN(date.getTime())) throw badInput('DateTime', 'expected an ISO-8601 date-time string');
    return date;
  },
});

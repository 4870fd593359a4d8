import { ApolloServer } from '@apollo/server';
import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { currentRequestScope, runInRequestScope } from '@supergraph/runtime';
import { createGraphQLMetrics } from './graphql-metrics.js';
import { ServiceMetrics } from './service-metrics.js';

async function serverWithMetrics() {
  const metrics = new ServiceMetrics('unit');
  const graphqlMetrics = createGraphQLMetrics(metrics);
  let seenOperation: string | undefined;
  const apollo = new ApolloServer({
    typeDefs: 'type Query { hello: String, broken: String } type Mutation { touch: Boolean }',
    resolvers: {
      Query: {
        hello: () => {
          seenOperation = currentRequestScope()?.operationName;
          return 'hi';
        },
        broken: () => {
          throw new GraphQLError('no such thing', { extensions: { code: 'NOT_FOUND' } });
        },
      },
      Mutation: { touch: () => true },
    },
    plugins: [graphqlMetrics.plugin],
  });
  await apollo.start();
  const values = async (name: string) => (await metrics.registry.getSingleMetric(name)!.get()).values;
  return { apollo, metrics, graphqlMetrics, values, seenOperation: () => seenOperation };
}

// prom-client fills in each sample's metric name (histograms' _bucket/_sum/_count) but its types leave it out.
const metricNameOf = (sample: object): string | undefined => (sample as { metricName?: string }).metricName;

describe('createGraphQLMetrics', () => {
  it('counts operations by name and type, times them, and counts errors by the code sent', async () => {
    const { apollo, values } = await serverWithMetrics();
    await apollo.executeOperation({ query: 'query Greeting { hello }' });
    await apollo.executeOperation({ query: 'query Greeting { hello }' });
    await apollo.executeOperation({ query: 'mutation Touch { touch }' });
    await apollo.executeOperation({ query: '{ broken }' });
    await apollo.executeOperation({ query: '{ nope ' });

    const requests = await values('graphql_requests_total');
    const count = (labels: Record<string, string>) =>
      requests.filter((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x)).reduce((t, v) => t + v.value, 0);
    expect(count({ operation: 'Greeting', type: 'query' })).toBe(2);
    expect(count({ operation: 'Touch', type: 'mutation' })).toBe(1);
    expect(count({ operation: 'anonymous', type: 'query' })).toBe(1);
    // A document that does not parse never has an operation: counted as unknown.
    expect(count({ operation: 'unknown', type: 'unknown' })).toBe(1);

    const errors = await values('graphql_errors_total');
    expect(errors.map((e) => [e.labels.operation, e.labels.code, e.value])).toEqual(
      expect.arrayContaining([
        ['anonymous', 'NOT_FOUND', 1],
        ['unknown', 'GRAPHQL_PARSE_FAILED', 1],
      ]),
    );
    expect(errors.some((e) => e.labels.operation === 'Greeting')).toBe(false);

    const durations = await values('graphql_request_duration_seconds');
    const greetingCount = durations.find(
      (v) => metricNameOf(v) === 'graphql_request_duration_seconds_count' && v.labels.operation === 'Greeting',
    );
    expect(greetingCount?.value).toBe(2);
  });

  it('names the operation in the request scope, so log lines of the request carry it', async () => {
    const { apollo, seenOperation } = await serverWithMetrics();
    await runInRequestScope({ requestId: 'r-1' }, () => apollo.executeOperation({ query: 'query Greeting { hello }' }));
    expect(seenOperation()).toBe('Greeting');
  });

  it('records operations served outside Apollo (subscriptions) with the same bounded labels', async () => {
    const { graphqlMetrics, values } = await serverWithMetrics();
    graphqlMetrics.record('subscription', 'PriceWatch', 0.5, ['FORBIDDEN']);
    graphqlMetrics.record('subscription', '{ not a name }', 0.1, []);
    const requests = await values('graphql_requests_total');
    expect(requests.map((v) => [v.labels.operation, v.labels.type, v.value])).toEqual(
      expect.arrayContaining([
        ['PriceWatch', 'subscription', 1],
        ['other', 'subscription', 1],
      ]),
    );
    expect((await values('graphql_errors_total')).map((e) => [e.labels.operation, e.labels.code])).toEqual([['PriceWatch', 'FORBIDDEN']]);
  });
});

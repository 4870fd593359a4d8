import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { currentRequestScope } from '@supergraph/runtime';
import { OperationLabels, UNKNOWN_OPERATION } from './operation-label.js';
import type { ServiceMetrics } from './service-metrics.js';

export type OperationType = 'query' | 'mutation' | 'subscription' | 'unknown';

export interface GraphQLMetrics<TContext extends BaseContext = BaseContext> {
  /** Counts every operation Apollo Server serves: rate, latency and errors by name and type. */
  plugin: ApolloServerPlugin<TContext>;
  /** For operations served outside Apollo's request pipeline (a subscription over WebSocket or SSE). */
  record(type: OperationType, operationName: string | null | undefined, seconds: number, errorCodes: readonly string[]): void;
  /** The bounded label for an operation name (see OperationLabels). */
  label(operationName: string | null | undefined): string;
}

/**
 * Request metrics of one service's GraphQL endpoint, the same at the gateway and in each subgraph:
 * `graphql_requests_total`, `graphql_request_duration_seconds` and `graphql_errors_total` (by the
 * `extensions.code` the client was sent), each by operation name and type.
 */
export function createGraphQLMetrics<TContext extends BaseContext = BaseContext>(
  metrics: ServiceMetrics,
  options: { skip?: (context: TContext) => boolean } = {},
): GraphQLMetrics<TContext> {
  const labels = new OperationLabels();
  const requests = metrics.counter('graphql_requests_total', 'GraphQL operations served', ['operation', 'type']);
  const duration = metrics.histogram('graphql_request_duration_seconds', 'Time to answer a GraphQL operation', ['operation', 'type']);
  const errors = metrics.counter('graphql_errors_total', 'Errors in GraphQL answers, by the code the client was sent', [
    'operation',
    'type',
    'code',
  ]);

  const record = (type: OperationType, operation: string, seconds: number, codes: readonly string[]) => {
    requests.inc({ operation, type });
    duration.observe({ operation, type }, seconds);
    for (const code of codes) errors.inc({ operation, type, code });
  };

  return {
    label: (name) => labels.labelFor(name),
    record: (type, name, seconds, codes) => record(type, labels.labelFor(name), seconds, codes),
    plugin: {
      async requestDidStart({ contextValue }) {
        if (options.skip?.(contextValue)) return;
        const started = process.hrtime.bigint();
        let operation = UNKNOWN_OPERATION;
        let type: OperationType = 'unknown';
        return {
          async didResolveOperation(request) {
            operation = labels.labelFor(request.operationName);
            type = request.operation?.operation ?? 'unknown';
            // Every log line from here on names the operation it belongs to.
            const scope = currentRequestScope();
            if (scope) scope.operationName = operation;
          },
          async willSendResponse({ response }) {
            const sent = response.body.kind === 'single' ? (response.body.singleResult.errors ?? []) : [];
            const codes = sent.map((error) =>
              typeof error.extensions?.code === 'string' ? error.extensions.code : 'INTERNAL_SERVER_ERROR',
            );
            record(type, operation, Number(process.hrtime.bigint() - started) / 1e9, codes);
          },
        };
      },
    },
  };
}

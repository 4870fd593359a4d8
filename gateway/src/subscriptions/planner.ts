import {
  GraphQLError,
  Kind,
  getOperationAST,
  parse,
  validate,
  type DocumentNode,
  type ExecutionResult,
  type GraphQLSchema,
  type FragmentDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import { Supergraph, operationFromDocument, type Schema } from '@apollo/federation-internals';
import { QueryPlanner, type FetchNode, type PlanNode, type QueryPlan } from '@apollo/query-planner';
import { buildOperationContext, executeQueryPlan, type GraphQLDataSource, type ServiceMap } from '@apollo/gateway';
import type { OperationContext } from '@apollo/gateway/dist/operationContext.js';
import { ErrorCode } from '@supergraph/runtime';
import type { GatewayContext } from '../context.js';

/** A subscription operation planned once and run for every event. */
export interface PlannedSubscription {
  document: DocumentNode;
  operationName: string | undefined;
  rootField: string;
  /** The fetch that subscribes on the subgraph owning the root field. */
  primary: FetchNode;
  /** What resolves the rest of the selection from other subgraphs, per event. */
  rest: PlanNode | undefined;
  operationContext: OperationContext;
  /** True when the root field is tagged public: the upstream stream needs no client token. */
  isPublic: boolean;
}

// The name under which an event's primary data is fed to the query-plan executor.
const EVENT_SOURCE = '__subscription_event__';

/**
 * Plans subscriptions with the federation query planner the gateway uses for
 * queries and executes the `rest` of a plan over each event with the gateway's
 * own executor and data sources (so entity fetches are batched the same way).
 */
export class SubscriptionPlanner {
  readonly schema: GraphQLSchema;
  private readonly apiSchema: Schema;
  private readonly supergraphSchema: GraphQLSchema;
  private readonly planner: QueryPlanner;
  private readonly publicFields: Set<string>;

  constructor(supergraphSdl: string) {
    const supergraph = Supergraph.build(supergraphSdl);
    this.supergraphSchema = supergraph.schema.toGraphQLJSSchema();
    this.apiSchema = supergraph.apiSchema();
    this.schema = this.apiSchema.toGraphQLJSSchema();
    this.planner = new QueryPlanner(supergraph);
    this.publicFields = publicSubscriptionFields(supergraphSdl);
  }

  /** Parses and validates like a query; returns the plan or the errors a client should see. */
  plan(document: DocumentNode, operationName: string | undefined): PlannedSubscription | GraphQLError[] {
    const errors = validate(this.schema, document);
    if (errors.length) return errors.map((e) => withCode(e, ErrorCode.GraphQLValidationFailed));
    const operation = getOperationAST(document, operationName);
    if (!operation) return [withCode(new GraphQLError('Name the operation to run with operationName'), ErrorCode.BadUserInput)];
    const plan = this.planner.buildQueryPlan(operationFromDocument(this.apiSchema, document, { operationName }));
    if (plan.node?.kind !== 'Subscription') {
      return [withCode(new GraphQLError('Expected a subscription operation'), ErrorCode.BadUserInput)];
    }
    const rootName = firstRootField(operation.selectionSet, document) ?? '';
    return {
      document,
      operationName,
      rootField: rootName,
      primary: plan.node.primary,
      rest: plan.node.rest,
      operationContext: buildOperationContext({ schema: this.schema, operationDocument: document, operationName }),
      isPublic: this.publicFields.has(rootName),
    };
  }

  /** Resolves one event: feeds the primary result to the executor and runs `rest` over it. */
  async executeEvent(
    planned: PlannedSubscription,
    event: ExecutionResult,
    variables: Record<string, unknown>,
    context: GatewayContext,
    serviceMap: ServiceMap,
  ): Promise<ExecutionResult> {
    const eventSource: GraphQLDataSource = { process: async () => ({ data: event.data, errors: event.errors }) };
    const primary: FetchNode = { ...planned.primary, serviceName: EVENT_SOURCE };
    const plan: QueryPlan = {
      kind: 'QueryPlan',
      node: planned.rest ? { kind: 'Sequence', nodes: [primary, planned.rest] } : primary,
    };
    const requestContext = {
      request: { variables, operationName: planned.operationName },
      context,
      metrics: {},
      logger: { debug() {}, info() {}, warn() {}, error() {} },
    };
    const result = (await executeQueryPlan(
      plan,
      { ...serviceMap, [EVENT_SOURCE]: eventSource },
      requestContext as never,
      planned.operationContext,
      this.supergraphSchema,
      this.apiSchema,
    )) as ExecutionResult;
    // Errors that came with the event are the owning subgraph's, not the internal source's.
    const errors = result.errors?.map((error) =>
      error.extensions?.serviceName === EVENT_SOURCE
        ? new GraphQLError(error.message, {
            nodes: error.nodes,
            path: error.path,
            originalError: error.originalError,
            extensions: { ...error.extensions, serviceName: planned.primary.serviceName },
          })
        : error,
    );
    return errors ? { ...result, errors } : result;
  }
}

/** The root field a subscription selects, looking through fragment spreads and inline fragments. */
function firstRootField(selectionSet: SelectionSetNode, document: DocumentNode): string | undefined {
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) return selection.name.value;
    if (selection.kind === Kind.INLINE_FRAGMENT) return firstRootField(selection.selectionSet, document);
    const fragment = document.definitions.find(
      (d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION && d.name.value === selection.name.value,
    );
    if (fragment) return firstRootField(fragment.selectionSet, document);
  }
  return undefined;
}

function withCode(error: GraphQLError, code: string): GraphQLError {
  return new GraphQLError(error.message, { nodes: error.nodes, extensions: { ...error.extensions, code } });
}

/** Subscription fields tagged @tag(name: "public") in the supergraph. */
function publicSubscriptionFields(sdl: string): Set<string> {
  const fields = new Set<string>();
  for (const definition of parse(sdl).definitions) {
    if (definition.kind !== Kind.OBJECT_TYPE_DEFINITION || definition.name.value !== 'Subscription') continue;
    for (const field of definition.fields ?? []) {
      const isPublic = field.directives?.some(
        (d) =>
          d.name.value === 'tag' &&
          d.arguments?.some((a) => a.name.value === 'name' && a.value.kind === Kind.STRING && a.value.value === 'public'),
      );
      if (isPublic) fields.add(field.name.value);
    }
  }
  return fields;
}

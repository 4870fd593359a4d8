import type { DocumentNode, GraphQLSchema } from 'graphql';
import { getComplexity, type ComplexityEstimator } from 'graphql-query-complexity';

/**
 * The largest page any list field serves (pagination refuses more with BAD_USER_INPUT, naming
 * `first`), so pricing never needs to assume more.
 */
const LARGEST_PAGE = 100;
/** The page size a list field serves when `first` is null (its schema default applies when it is left out). */
const DEFAULT_PAGE = 20;

/**
 * Every field costs 1; what is selected under a paged list costs once per item it may return:
 * `first` (capped at the largest page), or for a federated `_entities` fetch, the number of
 * representations. `users(first: 100) { orders(first: 100) { … } }` is priced as 10,000 orders.
 */
export const listSizeEstimator: ComplexityEstimator = ({ field, args, childComplexity }) => {
  const paged = field.args.some((arg) => arg.name === 'first');
  // `first: null` is served as the default page, so it is priced as one.
  const first = typeof args.first === 'number' ? Math.min(Math.max(args.first, 0), LARGEST_PAGE) : paged ? DEFAULT_PAGE : undefined;
  const representations = Array.isArray(args.representations) ? args.representations.length : undefined;
  return 1 + childComplexity * (first ?? representations ?? 1);
};

/** The operation's estimated cost with its variables (defaults from the schema apply, as when it runs). */
export function operationCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  variables: Record<string, unknown> | undefined,
  operationName: string | undefined,
): number {
  return getComplexity({ schema, query: document, variables: variables ?? {}, operationName, estimators: [listSizeEstimator] });
}

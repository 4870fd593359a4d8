import { readWholeNumbers, type Env } from '@supergraph/runtime';

/** What one GraphQL operation may ask for before anything runs. Every value has its own environment variable. */
export interface OperationLimits {
  /** Longest chain of nested selections. */
  maxDepth: number;
  /** Aliased fields in one operation (the trick that repeats an expensive field hundreds of times). */
  maxAliases: number;
  /** Fields selected at the root of one operation. */
  maxRootFields: number;
  /** Directives in one operation. */
  maxDirectives: number;
  /** Lexical tokens in the document, counted before it is parsed. */
  maxTokens: number;
  /** Characters in the document. */
  maxDocumentLength: number;
  /** Estimated cost: every field costs 1, and what is under a list is multiplied by its page size. */
  maxCost: number;
}

/**
 * Defaults every example in the README and every test stays under, with room to spare, while a
 * page of 100 users each with a page of 100 orders (10,000 orders) is refused.
 */
export const DEFAULT_OPERATION_LIMITS: OperationLimits = {
  maxDepth: 12,
  maxAliases: 15,
  maxRootFields: 10,
  maxDirectives: 20,
  maxTokens: 2_000,
  maxDocumentLength: 20_000,
  maxCost: 10_000,
};

const VARIABLES: Record<keyof OperationLimits, string> = {
  maxDepth: 'LIMIT_MAX_DEPTH',
  maxAliases: 'LIMIT_MAX_ALIASES',
  maxRootFields: 'LIMIT_MAX_ROOT_FIELDS',
  maxDirectives: 'LIMIT_MAX_DIRECTIVES',
  maxTokens: 'LIMIT_MAX_TOKENS',
  maxDocumentLength: 'LIMIT_MAX_DOCUMENT_LENGTH',
  maxCost: 'LIMIT_MAX_COST',
};

/** Reads the operation limits, each from its LIMIT_* variable or its default; a malformed value stops the service. */
export function readOperationLimits(env: Env): OperationLimits {
  return readWholeNumbers(env, VARIABLES, DEFAULT_OPERATION_LIMITS, { min: 1, max: 1_000_000_000 });
}

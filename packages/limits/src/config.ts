import { ConfigError, type Env } from '@supergraph/runtime';

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
  const limits = { ...DEFAULT_OPERATION_LIMITS };
  for (const key of Object.keys(VARIABLES) as (keyof OperationLimits)[]) {
    const name = VARIABLES[key];
    const raw = env[name]?.trim();
    if (raw === undefined || raw === '') continue;
    if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > 1_000_000_000) {
      throw new ConfigError(`${name} must be a whole number from 1 to 1000000000 (got "${raw}")`);
    }
    limits[key] = Number(raw);
  }
  return limits;
}

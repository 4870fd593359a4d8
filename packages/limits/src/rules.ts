import {
  Kind,
  OperationTypeNode,
  type FieldNode,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import type { OperationLimits } from './config.js';
import { limitError, type LimitName } from './limit-error.js';

/**
 * graphql-armor's rule for one limit, reporting our OPERATION_LIMIT error instead of its own
 * (its message already names the limit and what it found).
 */
function armorRule(
  limit: LimitName,
  max: number,
  rule: (options: {
    n: number;
    propagateOnRejection: boolean;
    onReject: ((ctx: ValidationContext | null, error: Error) => void)[];
  }) => ValidationRule,
): ValidationRule {
  return rule({
    n: max,
    propagateOnRejection: false,
    onReject: [(ctx, error) => ctx?.reportError(limitError(limit, max, error.message.replace(/^Syntax Error: /, '')))],
  });
}

/** The root fields an operation selects, looking through inline fragments and fragment spreads. */
function rootFields(selectionSet: SelectionSetNode, context: ValidationContext, seen = new Set<string>()): FieldNode[] {
  return selectionSet.selections.flatMap((selection) => {
    if (selection.kind === Kind.FIELD) return [selection];
    if (selection.kind === Kind.INLINE_FRAGMENT) return rootFields(selection.selectionSet, context, seen);
    const name = selection.name.value;
    const fragment = context.getFragment(name);
    if (!fragment || seen.has(name)) return [];
    seen.add(name);
    return rootFields(fragment.selectionSet, context, seen);
  });
}

/**
 * Written here because graphql-armor has no rule for it: how many fields one operation selects at
 * its root, and that at most one of the credential-checking mutations runs per operation (so one
 * request cannot carry thousands of password guesses).
 */
function rootFieldRules(maxRootFields: number, singleUseMutations: readonly string[]): ValidationRule {
  return (context) => ({
    OperationDefinition(operation: OperationDefinitionNode) {
      const fields = rootFields(operation.selectionSet, context);
      if (fields.length > maxRootFields) {
        context.reportError(
          limitError('rootFields', maxRootFields, `Root field limit of ${maxRootFields} exceeded, found ${fields.length}.`, [operation]),
        );
      }
      const credentialFields = fields.filter((field) => singleUseMutations.includes(field.name.value));
      if (operation.operation === OperationTypeNode.MUTATION && credentialFields.length > 1) {
        context.reportError(
          limitError(
            'authMutations',
            1,
            `At most one of ${singleUseMutations.join(', ')} may run per operation; found ${credentialFields.length}.`,
            credentialFields,
          ),
        );
      }
    },
  });
}

/** The fields that check credentials; one per operation. */
export const SINGLE_USE_MUTATIONS = ['logIn', 'signUp', 'refreshSession', 'requestOtp', 'verifyOtp', 'confirmPhone'] as const;

/** Validation rules for the structural limits (cost needs variables and is checked separately). */
export function operationLimitRules(limits: OperationLimits): ValidationRule[] {
  return [
    armorRule('depth', limits.maxDepth, (o) => maxDepthRule({ ...o, flattenFragments: true })),
    armorRule('aliases', limits.maxAliases, maxAliasesRule),
    armorRule('directives', limits.maxDirectives, maxDirectivesRule),
    rootFieldRules(limits.maxRootFields, SINGLE_USE_MUTATIONS),
  ];
}

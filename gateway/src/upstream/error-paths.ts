import {
  getOperationAST,
  isAbstractType,
  isNonNullType,
  isObjectType,
  Kind,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  type SelectionSetNode,
} from 'graphql';

export type ErrorPath = (string | number)[];

/**
 * Where the errors go when a fetch to a subgraph fails, in the fetch's own terms (the gateway
 * prefixes them with where the fetch sits in the client's response): the error is put where the
 * missing value shows up as null, so a client sees which parts are missing.
 *
 * - A root fetch (`{ me { … } }`): one error per root field it asked for, at that field.
 * - An entity fetch (`_entities(representations: …)`), one per representation i: at each field
 *   it asked of that entity (`['_entities', i, 'orders']` → `me.orders`) when those fields are
 *   nullable; at the entity itself (`['_entities', i]` → `…items.0.product`) when any of them is
 *   non-null, since the missing non-null field nulls the entity and the error belongs where the
 *   null is. Without the schema (or for a field it does not know) the field counts as non-null.
 */
export function unavailablePaths(
  document: DocumentNode,
  variables: Record<string, unknown> | undefined,
  schema?: GraphQLSchema,
): ErrorPath[] {
  const operation = getOperationAST(document);
  if (!operation) return [];
  const fragments = new Map(
    document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]),
  );
  const rootFields = fieldsFor(operation.selectionSet, undefined, fragments, schema);
  const entities = rootFields.find((f) => f.name.value === '_entities');
  const representations = variables?.representations;
  if (!entities?.selectionSet || !Array.isArray(representations)) {
    return uniqueNames(rootFields.filter((f) => f.name.value !== '__typename')).map((name) => [name]);
  }
  return representations.flatMap((representation, index): ErrorPath[] => {
    const typename = (representation as { __typename?: unknown } | null)?.__typename;
    const typeName = typeof typename === 'string' ? typename : undefined;
    const fields = fieldsFor(entities.selectionSet!, typeName, fragments, schema).filter((f) => f.name.value !== '__typename');
    const type = typeName ? schema?.getType(typeName) : undefined;
    const nullable = (field: FieldNode) => {
      const definition = isObjectType(type) ? type.getFields()[field.name.value] : undefined;
      return definition !== undefined && !isNonNullType(definition.type);
    };
    if (fields.length === 0 || !fields.every(nullable)) return [['_entities', index]];
    return uniqueNames(fields).map((name) => ['_entities', index, name]);
  });
}

/** The fields a selection set selects on an object of type `typeName`, through inline fragments and spreads. */
function fieldsFor(
  selectionSet: SelectionSetNode,
  typeName: string | undefined,
  fragments: Map<string, FragmentDefinitionNode>,
  schema: GraphQLSchema | undefined,
): FieldNode[] {
  return selectionSet.selections.flatMap((selection) => {
    if (selection.kind === Kind.FIELD) return [selection];
    const fragment = selection.kind === Kind.INLINE_FRAGMENT ? selection : fragments.get(selection.name.value);
    if (!fragment) return [];
    const condition = fragment.typeCondition?.name.value;
    return applies(condition, typeName, schema) ? fieldsFor(fragment.selectionSet, typeName, fragments, schema) : [];
  });
}

/** Whether a fragment on `condition` applies to an object of type `typeName` (an interface or union it belongs to included). */
function applies(condition: string | undefined, typeName: string | undefined, schema: GraphQLSchema | undefined): boolean {
  if (!condition || !typeName || condition === typeName) return true;
  const abstract = schema?.getType(condition);
  const object = schema?.getType(typeName);
  if (!schema || !abstract || !isAbstractType(abstract) || !isObjectType(object)) return false;
  return schema.isSubType(abstract, object);
}

const uniqueNames = (fields: FieldNode[]): string[] => [...new Set(fields.map((f) => f.alias?.value ?? f.name.value))];

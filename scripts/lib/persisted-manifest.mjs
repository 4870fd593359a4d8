// The logic behind `npm run persisted:register` (scripts/persisted-register.mjs), kept here so a test
// can call it: a client's operations (.graphql files) become an Apollo persisted query manifest, each
// operation checked against the API the gateway serves. The gateway reads the manifest in
// PERSISTED_QUERIES=safelist mode (gateway/src/persisted/manifest.ts).
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Supergraph } from '@apollo/federation-internals';
import { Kind, parse, print, validate, visit } from 'graphql';

export const MANIFEST_FORMAT = 'apollo-persisted-query-manifest';

/**
 * The API schema clients see (no federation machinery, no @inaccessible elements), from a supergraph SDL.
 * @param {string} supergraphSdl
 */
export function apiSchemaOf(supergraphSdl) {
  return Supergraph.build(supergraphSdl).apiSchema().toGraphQLJSSchema();
}

/**
 * Every .graphql file below `dir`, in a stable order, as { file (relative to `base`), text }.
 * @param {string} dir
 * @param {string} [base]
 * @returns {{ file: string, text: string }[]}
 */
export function readOperationFiles(dir, base = process.cwd()) {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.graphql'))
    .map((entry) => join(entry.parentPath, entry.name))
    .sort()
    .map((path) => ({ file: relative(base, path), text: readFileSync(path, 'utf8') }));
}

/** The names of the fragments a definition spreads. */
function spreadNames(definition) {
  const names = new Set();
  visit(definition, { FragmentSpread: (node) => void names.add(node.name.value) });
  return names;
}

/**
 * The body registered for one operation: the operation and every fragment it reaches (in name
 * order), printed by graphql-js, so the same operation always gets the same id however its file is
 * spaced or commented.
 */
function bodyOf(operation, fragments) {
  const used = new Map();
  const pending = [...spreadNames(operation)];
  while (pending.length) {
    const name = pending.pop();
    if (used.has(name) || !fragments.has(name)) continue;
    used.set(name, fragments.get(name).definition);
    pending.push(...spreadNames(fragments.get(name).definition));
  }
  const ordered = [...used.keys()].sort().map((name) => used.get(name));
  return print({ kind: Kind.DOCUMENT, definitions: [operation, ...ordered] });
}

/**
 * Builds the manifest from operation sources. Every operation needs a unique name (clients and logs
 * refer to it), fragments may live in any file, and each operation with its fragments must validate
 * against `schema`. Returns { manifest } or { errors } (every problem, each naming its file).
 * @param {{ file: string, text: string }[]} sources
 * @param {import('graphql').GraphQLSchema} schema
 */
export function buildManifest(sources, schema) {
  const errors = [];
  const operations = [];
  const fragments = new Map();
  for (const { file, text } of sources) {
    let document;
    try {
      document = parse(text);
    } catch (error) {
      const at = error.locations?.[0] ? ` (line ${error.locations[0].line}, column ${error.locations[0].column})` : '';
      errors.push(`${file}: ${error.message}${at}`);
      continue;
    }
    for (const definition of document.definitions) {
      if (definition.kind === Kind.FRAGMENT_DEFINITION) {
        const name = definition.name.value;
        if (fragments.has(name))
          errors.push(`${file}: fragment ${name} is also defined in ${fragments.get(name).file}; names must be unique`);
        else fragments.set(name, { file, definition });
      } else if (definition.kind === Kind.OPERATION_DEFINITION) {
        if (!definition.name) errors.push(`${file}: every operation needs a name (found an anonymous ${definition.operation})`);
        else operations.push({ file, definition });
      } else {
        errors.push(`${file}: only operations and fragments belong in a client's operations (found ${definition.kind})`);
      }
    }
  }
  const seen = new Map();
  const entries = [];
  for (const { file, definition } of operations) {
    const name = definition.name.value;
    if (seen.has(name)) {
      errors.push(`${file}: operation ${name} is also defined in ${seen.get(name)}; names must be unique`);
      continue;
    }
    seen.set(name, file);
    const body = bodyOf(definition, fragments);
    const problems = validate(schema, parse(body));
    if (problems.length) {
      errors.push(...problems.map((problem) => `${file}: operation ${name}: ${problem.message}`));
      continue;
    }
    entries.push({ id: operationId(body), name, type: definition.operation, body });
  }
  if (errors.length) return { errors };
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { manifest: { format: MANIFEST_FORMAT, version: 1, operations: entries } };
}

/**
 * The id of a body: its SHA-256 in hex, what APQ clients send as sha256Hash.
 * @param {string} body
 */
export function operationId(body) {
  return createHash('sha256').update(body).digest('hex');
}

/**
 * The manifest as written to disk (stable, so `--check` can compare the text).
 * @param {object} manifest
 */
export function manifestText(manifest) {
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

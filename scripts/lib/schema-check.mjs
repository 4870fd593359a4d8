// The logic behind `npm run schema:check` (scripts/schema-check.mjs), kept here so a test can call it:
// compose the supergraph with the subgraph schemas as proposed, diff it against a baseline supergraph
// (the committed schema/supergraph.graphql) with @graphql-inspector/core, and decide whether the
// change may ship. Two diffs, so federation plumbing (join__*, @link) is never reported:
//   - the client API: both supergraphs reduced to their API schemas (what the gateway serves:
//     no federation machinery, no @inaccessible elements);
//   - the internal API: the full supergraphs, keeping only changes to @inaccessible elements
//     (the catalog's reserveStock/releaseStock, which the orders subgraph calls) and to where
//     @inaccessible itself is applied, since other subgraphs depend on those elements, not clients.
import { readFileSync } from 'node:fs';
import { Supergraph } from '@apollo/federation-internals';
import { diff } from '@graphql-inspector/core';
import { buildSchema, isEnumType, isInputObjectType, isInterfaceType, isObjectType } from 'graphql';
import { composeServiceList, readRoverConfig } from './composition.mjs';

export const LEVELS = /** @type {const} */ (['breaking', 'dangerous', 'safe']);
const LEVEL_OF = { BREAKING: 'breaking', DANGEROUS: 'dangerous', NON_BREAKING: 'safe' };

/**
 * Reads the approved-changes file: { "approved": [{ "path": "Query.product", "type": "FIELD_REMOVED",
 * "reason": "…" }] } (other top-level keys, e.g. "$comment", are ignored). A missing file means none
 * approved; a malformed one throws, naming the file and the entry.
 * @param {string} file
 * @returns {{ path: string, type: string, reason: string }[]}
 */
export function readApprovedChanges(file) {
  let text;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if (error.code === 'ENOENT') return [];
    throw error;
  }
  let data;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new Error(`${file}: not valid JSON (${error.message})`, { cause: error });
  }
  if (!data || !Array.isArray(data.approved)) throw new Error(`${file}: expected an object with an "approved" list`);
  return data.approved.map((entry, i) => {
    for (const key of ['path', 'type', 'reason']) {
      if (typeof entry?.[key] !== 'string' || !entry[key].trim()) {
        throw new Error(`${file}: approved[${i}] needs a non-empty "${key}" (entries are { "path", "type", "reason" })`);
      }
    }
    return { path: entry.path, type: entry.type, reason: entry.reason };
  });
}

/**
 * The subgraphs of a rover config with their SDL as it is on disk, or as proposed for the ones
 * named in `proposed` ({ [subgraph name]: SDL text }). Throws for a proposed name the config lacks.
 * @param {string} configPath
 * @param {Record<string, string>} [proposed]
 */
export function subgraphsWithProposals(configPath, proposed = {}) {
  const subgraphs = readRoverConfig(configPath);
  for (const name of Object.keys(proposed)) {
    if (!subgraphs.some((s) => s.name === name)) {
      throw new Error(`no subgraph "${name}" in ${configPath} (it has: ${subgraphs.map((s) => s.name).join(', ')})`);
    }
  }
  return subgraphs.map(({ name, url, file }) => ({ name, url, typeDefs: proposed[name] ?? readFileSync(file, 'utf8') }));
}

/**
 * Schema coordinates (Type, Type.field, Type.field.arg, Enum.VALUE) of the full supergraph that the
 * API schema lacks: the @inaccessible elements. Federation machinery (join__*, link__*) is skipped.
 */
function internalCoordinates(fullSchema, apiSchema) {
  const internal = new Set();
  for (const type of Object.values(fullSchema.getTypeMap())) {
    if (/^(__|join__|link__)/.test(type.name)) continue;
    const apiType = apiSchema.getType(type.name);
    if (!apiType) {
      internal.add(type.name);
      continue;
    }
    if (isObjectType(type) || isInterfaceType(type) || isInputObjectType(type)) {
      const apiFields = apiType.getFields();
      for (const field of Object.values(type.getFields())) {
        const coordinate = `${type.name}.${field.name}`;
        if (!apiFields[field.name]) internal.add(coordinate);
        else
          for (const arg of field.args ?? [])
            if (!apiFields[field.name].args.some((a) => a.name === arg.name)) internal.add(`${coordinate}.${arg.name}`);
      }
    } else if (isEnumType(type)) {
      for (const value of type.getValues()) if (!apiType.getValue(value.name)) internal.add(`${type.name}.${value.name}`);
    }
  }
  return internal;
}

/** The directive a change's path goes through ("Mutation.reserveStock.@inaccessible" → "inaccessible"), if any. */
function directiveInPath(path) {
  const segment = (path ?? '').split('.').find((s) => s.startsWith('@'));
  return segment ? segment.slice(1) : null;
}

function isInternalChange(change, internal) {
  const directive = directiveInPath(change.path);
  // Where join__/link put fields is composition's business; only @inaccessible itself matters here.
  if (directive && directive !== 'inaccessible') return false;
  if (!change.path || change.path.startsWith('@')) return false;
  const segments = change.path.split('.');
  for (let n = 1; n <= segments.length; n++) {
    if (segments[n - 1].startsWith('@')) break;
    if (internal.has(segments.slice(0, n).join('.'))) return true;
  }
  // @inaccessible added to or removed from anything (a public element hidden, an internal one exposed).
  return directive === 'inaccessible';
}

/**
 * Inspector reports a deprecation twice (FIELD_DEPRECATION_ADDED and a generic "directive
 * 'deprecated' was added"); keep the specific one.
 */
function isDuplicateDeprecation(change) {
  return change.type.startsWith('DIRECTIVE_USAGE_') && directiveInPath(change.path) === 'deprecated';
}

const ADDITIONS = new Set(['TYPE_ADDED', 'FIELD_ADDED', 'INPUT_FIELD_ADDED', 'ENUM_VALUE_ADDED', 'DIRECTIVE_ADDED']);

/**
 * Inspector also lists everything that comes with an added type or field (its fields, arguments and
 * descriptions) as separate safe changes; fold those into the addition so one addition is one line.
 * Anything not safe (e.g. a required input field) is kept.
 */
function withoutPartsOfAdditions(changes) {
  const added = changes.filter((c) => ADDITIONS.has(c.type) && c.path).map((c) => c.path);
  return changes.filter(
    (c) =>
      c.criticality.level !== 'NON_BREAKING' ||
      !c.path ||
      !added.some((path) => (c.path === path && !ADDITIONS.has(c.type)) || c.path.startsWith(`${path}.`)),
  );
}

function toEntry(change, scope) {
  let level = LEVEL_OF[change.criticality.level] ?? 'dangerous';
  let message = change.message;
  // Exposing an internal element to every client is a security decision, never routine.
  if (scope === 'internal' && directiveInPath(change.path) === 'inaccessible' && change.type.endsWith('_REMOVED') && level === 'safe') {
    level = 'dangerous';
    message += ' (exposes an internal element to clients)';
  }
  return { level, scope, path: change.path ?? '', type: change.type, message, reason: change.criticality.reason };
}

/**
 * Diffs two supergraph SDLs as clients and as subgraphs calling internal fields see them.
 * @param {string} oldSupergraphSdl
 * @param {string} newSupergraphSdl
 * @returns {Promise<{ level: 'breaking'|'dangerous'|'safe', scope: 'api'|'internal', path: string, type: string, message: string, reason?: string }[]>}
 */
export async function diffSupergraphs(oldSupergraphSdl, newSupergraphSdl) {
  const oldApi = Supergraph.build(oldSupergraphSdl).apiSchema().toGraphQLJSSchema();
  const newApi = Supergraph.build(newSupergraphSdl).apiSchema().toGraphQLJSSchema();
  const oldFull = buildSchema(oldSupergraphSdl);
  const newFull = buildSchema(newSupergraphSdl);
  const internal = new Set([...internalCoordinates(oldFull, oldApi), ...internalCoordinates(newFull, newApi)]);

  const apiChanges = withoutPartsOfAdditions((await diff(oldApi, newApi)).filter((c) => !isDuplicateDeprecation(c))).map((c) =>
    toEntry(c, 'api'),
  );
  const internalChanges = withoutPartsOfAdditions(
    (await diff(oldFull, newFull)).filter((c) => !isDuplicateDeprecation(c) && isInternalChange(c, internal)),
  ).map((c) => toEntry(c, 'internal'));
  const all = [...apiChanges, ...internalChanges];
  return LEVELS.flatMap((level) => all.filter((c) => c.level === level));
}

/**
 * The whole check. `subgraphs` is the list to compose ({ name, url, typeDefs }, see
 * subgraphsWithProposals), `baseSupergraphSdl` what to compare against, `approved` the entries of
 * schema/approved-changes.json.
 * @param {{ subgraphs: { name: string, url: string, typeDefs: string }[], baseSupergraphSdl: string, approved?: { path: string, type: string, reason: string }[] }} options
 */
export async function checkSchema({ subgraphs, baseSupergraphSdl, approved = [] }) {
  const composed = composeServiceList(subgraphs);
  if (composed.errors) return { ok: false, compositionErrors: composed.errors, changes: [], unusedApprovals: [] };

  const used = new Set();
  const changes = (await diffSupergraphs(baseSupergraphSdl, composed.supergraphSdl)).map((change) => {
    const approval = approved.find((a) => a.path === change.path && a.type === change.type);
    if (approval) used.add(approval);
    return approval ? { ...change, approved: approval.reason } : change;
  });
  const unapprovedBreaking = changes.filter((c) => c.level === 'breaking' && !c.approved);
  return {
    ok: unapprovedBreaking.length === 0,
    compositionErrors: null,
    changes,
    unusedApprovals: approved.filter((a) => !used.has(a)),
    supergraphSdl: composed.supergraphSdl,
  };
}

/**
 * The report as lines: one per change ("BREAKING   Query.product  Field 'product' was removed…"),
 * then a summary and a hint.
 * @param {Awaited<ReturnType<typeof checkSchema>>} result
 * @param {{ approvedFile?: string }} [options]
 * @returns {string[]}
 */
export function formatReport(result, { approvedFile = 'schema/approved-changes.json' } = {}) {
  if (result.compositionErrors) {
    return ['Composition failed:', ...result.compositionErrors.map((m) => `  - ${m}`), 'schema check failed: the subgraphs do not compose'];
  }
  const lines = result.changes.map((c) => {
    const label = c.level === 'breaking' && c.approved ? 'APPROVED' : c.level === 'safe' ? 'SAFE' : c.level.toUpperCase();
    const scope = c.scope === 'internal' ? 'internal: ' : '';
    const approval = c.approved ? ` (approved: ${c.approved})` : '';
    return `${label.padEnd(9)}  ${c.path}  ${scope}${c.message}${approval}`;
  });
  for (const a of result.unusedApprovals) {
    lines.push(
      `note: approved ${a.type} at ${a.path} no longer occurs; remove it from ${approvedFile} once it is in the committed supergraph`,
    );
  }
  const count = (level) => result.changes.filter((c) => c.level === level).length;
  const approvedCount = result.changes.filter((c) => c.level === 'breaking' && c.approved).length;
  const unapproved = count('breaking') - approvedCount;
  if (result.changes.length === 0) {
    lines.push('No schema changes.');
    return lines;
  }
  const n = result.changes.length;
  lines.push(
    `${n} change${n === 1 ? '' : 's'}: ${count('breaking')} breaking${approvedCount ? ` (${approvedCount} approved)` : ''}, ` +
      `${count('dangerous')} dangerous, ${count('safe')} safe`,
  );
  if (unapproved) {
    lines.push(
      `schema check failed: ${unapproved} unapproved breaking change${unapproved === 1 ? '' : 's'}.`,
      'Hint: deprecate first (@deprecated(reason: "use … instead")) and remove once no client uses it; add fields and ' +
        `optional arguments instead of changing them; or, if the break is intended, add { "path", "type", "reason" } to ${approvedFile}.`,
    );
  } else {
    lines.push('schema check passed.', 'Hint: run `npm run compose` and commit schema/supergraph.graphql with the subgraph change.');
  }
  return lines;
}

/**
 * What the CLI does once its arguments are read: the subgraphs of `configPath` as on disk, with
 * `subgraph` replaced by the SDL in `schemaFile` when given, checked against `baseSupergraphSdl`
 * with the approvals in `approvedFile`. Returns the exit status (0 passed, 1 failed), the report's
 * lines and the result; throws for unusable input (unknown subgraph, unreadable file, bad approvals).
 * @param {{ configPath: string, baseSupergraphSdl: string, approvedFile: string, subgraph?: string, schemaFile?: string, approvedLabel?: string }} options
 */
export async function runSchemaCheck({ configPath, baseSupergraphSdl, approvedFile, subgraph, schemaFile, approvedLabel }) {
  const proposed = subgraph ? { [subgraph]: readFileSync(schemaFile, 'utf8') } : {};
  const subgraphs = subgraphsWithProposals(configPath, proposed);
  const approved = readApprovedChanges(approvedFile);
  const result = await checkSchema({ subgraphs, baseSupergraphSdl, approved });
  return { exitCode: result.ok ? 0 : 1, lines: formatReport(result, { approvedFile: approvedLabel ?? approvedFile }), result };
}

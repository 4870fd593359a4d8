import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** One operation of an Apollo persisted query manifest: `id` is the SHA-256 (hex) of `body`. */
export interface PersistedOperation {
  id: string;
  name: string;
  type: 'query' | 'mutation' | 'subscription';
  body: string;
}

export const MANIFEST_FORMAT = 'apollo-persisted-query-manifest';
const OPERATION_TYPES = new Set(['query', 'mutation', 'subscription']);

/** The id Apollo's tools give a document: the hex SHA-256 of its exact text (as APQ's sha256Hash). */
export function operationId(body: string): string {
  return createHash('sha256').update(body).digest('hex');
}

/**
 * Reads a manifest in Apollo's format (`{ format, version: 1, operations: [{ id, name, type, body }] }`),
 * as `npm run persisted:register` writes it. Throws, saying what was wrong and what is expected, for
 * anything else, including an id that is not its body's hash: a hand-edited entry would otherwise let
 * through a document nobody registered.
 */
export function parseManifest(text: string): PersistedOperation[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new Error(`not valid JSON (${(error as Error).message})`, { cause: error });
  }
  const manifest = data as { format?: unknown; version?: unknown; operations?: unknown } | null;
  if (manifest?.format !== MANIFEST_FORMAT || manifest.version !== 1 || !Array.isArray(manifest.operations)) {
    throw new Error(`expected { "format": "${MANIFEST_FORMAT}", "version": 1, "operations": [...] }`);
  }
  return manifest.operations.map((entry: unknown, i: number) => {
    const operation = entry as Partial<Record<keyof PersistedOperation, unknown>> | null;
    for (const key of ['id', 'name', 'type', 'body'] as const) {
      if (typeof operation?.[key] !== 'string' || operation[key] === '') {
        throw new Error(`operations[${i}] needs a non-empty string "${key}" (entries are { "id", "name", "type", "body" })`);
      }
    }
    const { id, name, type, body } = operation as PersistedOperation;
    if (!OPERATION_TYPES.has(type))
      throw new Error(`operations[${i}] (${name}): type must be query, mutation or subscription (got "${type}")`);
    if (id !== operationId(body)) throw new Error(`operations[${i}] (${name}): id is not the SHA-256 of its body; regenerate the manifest`);
    return { id, name, type, body };
  });
}

/** parseManifest over a file; the error names the file. */
export function readManifestFile(path: string): PersistedOperation[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, { cause: error });
  }
  try {
    return parseManifest(text);
  } catch (error) {
    throw new Error(`${path}: ${(error as Error).message}`, { cause: error });
  }
}

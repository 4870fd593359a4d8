import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { apiSchemaOf, buildManifest, manifestText, readOperationFiles } from '../scripts/lib/persisted-manifest.mjs';

const root = resolve(import.meta.dirname, '..');
const schema = apiSchemaOf(readFileSync(join(root, 'schema/supergraph.graphql'), 'utf8'));
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** The manifest the sources make; fails the test with the problems when there are any. */
function built(sources: { file: string; text: string }[]) {
  const { manifest, errors } = buildManifest(sources, schema);
  if (!manifest) throw new Error(`expected a manifest, got:\n${(errors ?? []).join('\n')}`);
  return manifest;
}

describe('persisted query manifest (npm run persisted:register)', () => {
  it('registers each operation with the fragments it reaches, its id the SHA-256 of its body', () => {
    const manifest = built([
      {
        file: 'a.graphql',
        text: 'query Page($id: ID!) { product(id: $id) { ...Card } }\nmutation Restock($id: ID!) { restock(id: $id, quantity: 1) { id } }',
      },
      {
        file: 'b.graphql',
        text: 'fragment Card on Product { id ...Price }\nfragment Price on Product { formattedPrice }\nfragment Unused on Product { sku }',
      },
    ]);
    expect(manifest.format).toBe('apollo-persisted-query-manifest');
    expect(manifest.version).toBe(1);
    // In name order, so the file changes only where the operations do.
    expect(manifest.operations.map((op) => [op.name, op.type])).toEqual([
      ['Page', 'query'],
      ['Restock', 'mutation'],
    ]);
    const page = manifest.operations[0];
    expect(page.body).toContain('fragment Card on Product');
    expect(page.body).toContain('fragment Price on Product');
    expect(page.body).not.toContain('Unused');
    expect(page.id).toBe(sha256(page.body));
    expect(manifest.operations[1].body).not.toContain('fragment');
  });

  it('gives an operation the same id however its file is spaced or commented', () => {
    const tidy = built([{ file: 'a.graphql', text: 'query Me { me { id } }' }]);
    const messy = built([{ file: 'a.graphql', text: '# who am I\nquery   Me {\n\n me { id }\n}\n' }]);
    expect(messy.operations[0].id).toBe(tidy.operations[0].id);
  });

  it('refuses operations the gateway would not serve, naming the file and operation, and writes nothing', () => {
    const { manifest, errors } = buildManifest(
      [
        { file: 'bad.graphql', text: 'query Broken { product(id: "1") { id nope } }' },
        { file: 'anon.graphql', text: '{ products { totalCount } }' },
        { file: 'dup.graphql', text: 'query Broken { me { id } }' },
        { file: 'syntax.graphql', text: 'query {' },
        { file: 'internal.graphql', text: 'mutation Take { releaseStock(orderId: "1") }' },
      ],
      schema,
    );
    expect(manifest).toBeUndefined();
    expect(errors).toEqual([
      expect.stringMatching(/^anon\.graphql: every operation needs a name/),
      expect.stringMatching(/^syntax\.graphql: Syntax Error.*\(line 1, column 8\)/),
      expect.stringMatching(/^bad\.graphql: operation Broken: Cannot query field "nope" on type "Product"/),
      expect.stringMatching(/^dup\.graphql: operation Broken is also defined in bad\.graphql/),
      // @inaccessible fields are not part of the API clients may register against.
      expect.stringMatching(/^internal\.graphql: operation Take: Cannot query field "releaseStock"/),
    ]);
  });

  it('the committed example manifest is what the example operations make (npm run persisted:check)', () => {
    const sources = readOperationFiles(join(root, 'clients/example/operations'), root);
    expect(sources.map((s: { file: string }) => s.file)).toEqual([
      'clients/example/operations/account.graphql',
      'clients/example/operations/catalog.graphql',
    ]);
    expect(manifestText(built(sources))).toBe(readFileSync(join(root, 'clients/example/persisted-query-manifest.json'), 'utf8'));
  });
});

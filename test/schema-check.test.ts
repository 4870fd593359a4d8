import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readApprovedChanges, runSchemaCheck } from '../scripts/lib/schema-check.mjs';

const root = resolve(import.meta.dirname, '..');
const configPath = join(root, 'rover.yaml');
const baseSupergraphSdl = readFileSync(join(root, 'schema/supergraph.graphql'), 'utf8');
const catalogSdl = readFileSync(join(root, 'subgraphs/catalog/schema.graphql'), 'utf8');
const dir = mkdtempSync(join(tmpdir(), 'schema-check-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Writes `sdl` as a proposed schema file, failing loudly if an edit below no longer matches the real SDL. */
function proposal(name: string, sdl: string): string {
  expect(sdl, 'the edit changed nothing: update the test to the current SDL').not.toBe(catalogSdl);
  const file = join(dir, `${name}.graphql`);
  writeFileSync(file, sdl);
  return file;
}

function approvals(name: string, approved: unknown[]): string {
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify({ approved }));
  return file;
}

const noApprovals = approvals('none', []);

/** Runs the check with the catalog subgraph replaced by `schemaFile`, as `npm run schema:check -- --subgraph catalog --schema …` does. */
const checkCatalog = (schemaFile: string, approvedFile = noApprovals) =>
  runSchemaCheck({
    configPath,
    baseSupergraphSdl,
    approvedFile,
    approvedLabel: 'schema/approved-changes.json',
    subgraph: 'catalog',
    schemaFile,
  });

const withoutProductQuery = catalogSdl.replace(
  '  """\n  One product by id, or null if there is none.\n  """\n  product(id: ID!): Product\n',
  '',
);

describe('schema check (npm run schema:check)', () => {
  it('reports nothing and passes when the subgraphs compose to the committed supergraph', async () => {
    const { exitCode, result, lines } = await runSchemaCheck({ configPath, baseSupergraphSdl, approvedFile: noApprovals });
    expect(result.changes).toEqual([]);
    expect(exitCode).toBe(0);
    expect(lines).toEqual(['No schema changes.']);
  });

  it('the committed schema/approved-changes.json is valid', () => {
    expect(Array.isArray(readApprovedChanges(join(root, 'schema/approved-changes.json')))).toBe(true);
  });

  it('catches a removed field as breaking and fails', async () => {
    const { exitCode, result, lines } = await checkCatalog(proposal('removed-field', withoutProductQuery));
    expect(exitCode).toBe(1);
    expect(result.changes).toEqual([
      expect.objectContaining({ level: 'breaking', scope: 'api', path: 'Query.product', type: 'FIELD_REMOVED' }),
    ]);
    expect(lines[0]).toMatch(/^BREAKING\s+Query\.product\s+Field 'product' was removed from object type 'Query'$/);
    expect(lines.join('\n')).toMatch(/1 unapproved breaking change[\s\S]*@deprecated[\s\S]*approved-changes\.json/);
  });

  it('catches a changed argument type as breaking and fails', async () => {
    const sdl = catalogSdl.replace('restock(id: ID!, quantity: Int!)', 'restock(id: ID!, quantity: Float!)');
    const { exitCode, result } = await checkCatalog(proposal('argument-type', sdl));
    expect(exitCode).toBe(1);
    expect(result.changes).toEqual([
      expect.objectContaining({ level: 'breaking', path: 'Mutation.restock.quantity', type: 'FIELD_ARGUMENT_TYPE_CHANGED' }),
    ]);
  });

  it('reports an added field as safe and passes', async () => {
    const sdl = catalogSdl.replace(
      '  stock: Int! @cacheControl(maxAge: 10)\n',
      '  stock: Int! @cacheControl(maxAge: 10)\n  """\n  Brand name, if any.\n  """\n  brand: String\n',
    );
    const { exitCode, result, lines } = await checkCatalog(proposal('added-field', sdl));
    expect(exitCode).toBe(0);
    expect(result.changes).toEqual([expect.objectContaining({ level: 'safe', path: 'Product.brand', type: 'FIELD_ADDED' })]);
    expect(lines[0]).toMatch(/^SAFE\s+Product\.brand\s+Field 'brand' was added/);
  });

  it('reports a deprecation as safe: the way to retire a field', async () => {
    const sdl = catalogSdl.replace('product(id: ID!): Product\n', 'product(id: ID!): Product @deprecated(reason: "use products")\n');
    const { exitCode, result } = await checkCatalog(proposal('deprecated', sdl));
    expect(exitCode).toBe(0);
    expect(result.changes).toEqual([expect.objectContaining({ level: 'safe', type: 'FIELD_DEPRECATION_ADDED' })]);
  });

  it('lets an approved breaking change pass and prints it as approved', async () => {
    const approvedFile = approvals('approved', [
      { path: 'Query.product', type: 'FIELD_REMOVED', reason: 'clients use products(search:) since v2' },
    ]);
    const { exitCode, result, lines } = await checkCatalog(proposal('removed-field-approved', withoutProductQuery), approvedFile);
    expect(exitCode).toBe(0);
    expect(result.changes).toEqual([
      expect.objectContaining({ level: 'breaking', path: 'Query.product', approved: 'clients use products(search:) since v2' }),
    ]);
    expect(lines[0]).toMatch(/^APPROVED\s+Query\.product\s+.*\(approved: clients use products\(search:\) since v2\)$/);
  });

  it('an approval for a different change does not let a breaking change through', async () => {
    const approvedFile = approvals('other', [{ path: 'Query.products', type: 'FIELD_REMOVED', reason: 'not this one' }]);
    const { exitCode, result } = await checkCatalog(proposal('removed-field-other', withoutProductQuery), approvedFile);
    expect(exitCode).toBe(1);
    expect(result.unusedApprovals).toEqual([expect.objectContaining({ path: 'Query.products' })]);
  });

  it('reports changes to the internal stock mutations that orders calls, but no federation plumbing', async () => {
    const sdl = catalogSdl.replace('reserveStock(orderId: ID!,', 'reserveStock(orderId: String!,');
    const { exitCode, result, lines } = await checkCatalog(proposal('internal', sdl));
    expect(exitCode).toBe(1);
    expect(result.changes).toEqual([
      expect.objectContaining({
        level: 'breaking',
        scope: 'internal',
        path: 'Mutation.reserveStock.orderId',
        type: 'FIELD_ARGUMENT_TYPE_CHANGED',
      }),
    ]);
    expect(lines[0]).toMatch(/^BREAKING\s+Mutation\.reserveStock\.orderId\s+internal: /);
  });

  it('fails with the composer messages when the proposed schema does not compose', async () => {
    // StockLineInput stays @inaccessible but reserveStock, which takes it, would become public.
    const sdl = catalogSdl.replace(
      'reserveStock(orderId: ID!, lines: [StockLineInput!]!): [ReservedLine!]! @inaccessible',
      'reserveStock(orderId: ID!, lines: [StockLineInput!]!): [ReservedLine!]!',
    );
    const { exitCode, result, lines } = await checkCatalog(proposal('not-composing', sdl));
    expect(exitCode).toBe(1);
    expect(result.compositionErrors?.join('\n')).toMatch(/StockLineInput.*@inaccessible/);
    expect(lines[0]).toBe('Composition failed:');
  });

  it('rejects an unknown subgraph and approvals without a reason', async () => {
    await expect(
      runSchemaCheck({
        configPath,
        baseSupergraphSdl,
        approvedFile: noApprovals,
        subgraph: 'payments',
        schemaFile: proposal('x', withoutProductQuery),
      }),
    ).rejects.toThrow(/no subgraph "payments"/);
    const approvedFile = approvals('no-reason', [{ path: 'Query.product', type: 'FIELD_REMOVED' }]);
    expect(() => readApprovedChanges(approvedFile)).toThrow(/approved\[0\] needs a non-empty "reason"/);
  });
});

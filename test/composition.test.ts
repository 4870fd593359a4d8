import { mkdtempSync, readFileSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { composeSupergraph } from '../scripts/lib/composition.mjs';

const root = resolve(import.meta.dirname, '..');

describe('supergraph composition', () => {
  it('the committed schema/supergraph.graphql matches what rover.yaml composes to', () => {
    const committed = readFileSync(join(root, 'schema/supergraph.graphql'), 'utf8');
    expect(composeSupergraph(join(root, 'rover.yaml'))).toBe(committed);
  });

  it('hides the internal stock mutations from the client API but keeps the public contract', () => {
    const sdl = composeSupergraph(join(root, 'rover.yaml'));
    expect(sdl).toMatch(/reserveStock\(.*@inaccessible/);
    for (const field of ['placeOrder(', 'signUp(', 'createProduct(', 'orders(first: Int = 20']) expect(sdl).toContain(field);
  });

  it('fails with the composer message when subgraphs conflict', () => {
    const dir = mkdtempSync(join(tmpdir(), 'compose-'));
    cpSync(join(root, 'subgraphs'), join(dir, 'subgraphs'), {
      recursive: true,
      filter: (src) => !src.includes('node_modules') && !src.includes('dist'),
    });
    // The orders subgraph now claims User.name as a different type: a real composition error.
    const ordersSdl = join(dir, 'subgraphs/orders/schema.graphql');
    writeFileSync(
      ordersSdl,
      readFileSync(ordersSdl, 'utf8').replace(
        '  id: ID!\n  """\n  The user\'s orders',
        '  id: ID!\n  name: Int\n  """\n  The user\'s orders',
      ),
    );
    cpSync(join(root, 'rover.yaml'), join(dir, 'rover.yaml'));
    expect(() => composeSupergraph(join(dir, 'rover.yaml'))).toThrow(/Composition failed:[\s\S]*name/);
  });
});

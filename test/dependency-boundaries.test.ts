import { readFileSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..');

interface Manifest {
  name: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

/** The directory of `name` as Node resolves it from `fromDir` (workspace packages through their symlinks). */
function packageDir(name: string, fromDir: string): string | null {
  let dir = fromDir;
  for (;;) {
    const candidate = join(dir, 'node_modules', name, 'package.json');
    try {
      readFileSync(candidate);
      return realpathSync(dirname(candidate));
    } catch {
      const parent = dirname(dir);
      if (parent === dir) return null;
      dir = parent;
    }
  }
}

/**
 * Every package a workspace package pulls in at run time: its dependencies, theirs, and so on,
 * resolved the way Node resolves them from each package's own folder. Dev dependencies are not
 * followed (they never ship), optional ones are.
 */
function dependencyClosure(workspaceDir: string): Set<string> {
  const seen = new Set<string>();
  const queue = [realpathSync(workspaceDir)];
  const visitedDirs = new Set<string>();
  while (queue.length) {
    const dir = queue.shift()!;
    if (visitedDirs.has(dir)) continue;
    visitedDirs.add(dir);
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest;
    for (const name of Object.keys({ ...manifest.dependencies, ...manifest.optionalDependencies })) {
      const found = packageDir(name, dir);
      if (!found) continue; // an optional dependency not installed on this platform
      seen.add(name);
      queue.push(found);
    }
  }
  return seen;
}

const SUBGRAPH_ONLY = [
  'mongoose',
  'mongodb',
  'dataloader',
  'graphql-redis-subscriptions',
  'graphql-subscriptions',
  '@supergraph/subgraph-kit',
  '@supergraph/contracts',
];

describe('package boundaries', () => {
  it("the gateway's dependency closure has none of the subgraph-only libraries", () => {
    const closure = dependencyClosure(join(root, 'gateway'));
    // The walk itself works: the gateway's own runtime dependencies are found.
    expect(closure).toContain('@apollo/gateway');
    expect(closure).toContain('@supergraph/runtime');
    expect(SUBGRAPH_ONLY.filter((name) => closure.has(name))).toEqual([]);
  });

  it('each subgraph depends on the shared packages, never on another subgraph or the gateway', () => {
    for (const subgraph of ['users', 'catalog', 'orders']) {
      const closure = dependencyClosure(join(root, 'subgraphs', subgraph));
      expect(closure, subgraph).toContain('@supergraph/subgraph-kit');
      const others = ['@supergraph/users', '@supergraph/catalog', '@supergraph/orders', '@supergraph/gateway'].filter((name) =>
        closure.has(name),
      );
      expect(others, subgraph).toEqual([]);
    }
  });

  it('the runtime package, used by every service, pulls in no database or subgraph library', () => {
    const closure = dependencyClosure(join(root, 'packages/runtime'));
    expect(closure).toContain('ioredis');
    expect(SUBGRAPH_ONLY.filter((name) => closure.has(name))).toEqual([]);
  });
});

// The walk must resolve the way Node does; checked once against Node's own resolver.
it('resolves packages where Node does', () => {
  const fromGateway = createRequire(join(root, 'gateway/package.json'));
  expect(packageDir('@apollo/gateway', join(root, 'gateway'))).toBe(
    realpathSync(dirname(fromGateway.resolve('@apollo/gateway/package.json'))),
  );
});

import { readdirSync, readFileSync, realpathSync } from 'node:fs';
import { builtinModules } from 'node:module';
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

  it('the worker pulls in no subgraph, no database library and nothing only subgraphs use', () => {
    const closure = dependencyClosure(join(root, 'worker'));
    expect(closure).toContain('@supergraph/jobs');
    expect(closure).toContain('bullmq');
    // Contracts are shared by both ends of one: the worker calls the invoice operations orders and users declare there.
    expect(closure).toContain('@supergraph/contracts');
    const forbidden = [
      ...SUBGRAPH_ONLY.filter((name) => name !== '@supergraph/contracts'),
      '@supergraph/users',
      '@supergraph/catalog',
      '@supergraph/orders',
      '@supergraph/gateway',
    ];
    expect(forbidden.filter((name) => closure.has(name))).toEqual([]);
  });

  it('the runtime package, used by every service, pulls in no database or subgraph library', () => {
    const closure = dependencyClosure(join(root, 'packages/runtime'));
    expect(closure).toContain('ioredis');
    expect(SUBGRAPH_ONLY.filter((name) => closure.has(name))).toEqual([]);
  });
});

/** Every source file of a workspace package (not its tests), recursively. */
function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.ts$/.test(entry.name) && !/\.(test|fixture)\.ts$/.test(entry.name) ? [path] : [];
  });
}

/** The packages a source file imports (`@scope/name` or `name`), leaving out Node's built-ins and relative paths. */
function importedPackages(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specifiers = [...text.matchAll(/(?:from|import)\s*\(?\s*'([^'.][^']*)'/g)].map((m) => m[1]);
  return specifiers
    .filter((s) => !s.startsWith('node:') && !builtinModules.includes(s))
    .map((s) =>
      s
        .split('/')
        .slice(0, s.startsWith('@') ? 2 : 1)
        .join('/'),
    );
}

describe('declared dependencies', () => {
  // The closure above is walked through package.json files; it proves something only if every
  // import in the sources is declared there (an undeclared, hoisted import would slip past it).
  const workspaces = [
    'gateway',
    'worker',
    'subgraphs/users',
    'subgraphs/catalog',
    'subgraphs/orders',
    ...readdirSync(join(root, 'packages'), { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => `packages/${d.name}`),
  ];

  it('reads the imports of a source file', () => {
    expect(importedPackages(join(root, 'gateway/src/server.ts'))).toEqual(
      expect.arrayContaining(['@apollo/gateway', '@supergraph/runtime', 'graphql']),
    );
  });

  it.each(workspaces)('%s imports only packages its package.json declares', (workspace) => {
    const manifest = JSON.parse(readFileSync(join(root, workspace, 'package.json'), 'utf8')) as Manifest;
    const declared = new Set(Object.keys({ ...manifest.dependencies, ...manifest.optionalDependencies }));
    const files = sourceFiles(join(root, workspace, 'src'));
    expect(files.length).toBeGreaterThan(0);
    const undeclared = [...new Set(files.flatMap(importedPackages))].filter((name) => !declared.has(name));
    expect(undeclared).toEqual([]);
  });
});

// The walk must resolve the way Node does; checked once against Node's own resolver.
it('resolves packages where Node does', () => {
  const fromGateway = createRequire(join(root, 'gateway/package.json'));
  expect(packageDir('@apollo/gateway', join(root, 'gateway'))).toBe(
    realpathSync(dirname(fromGateway.resolve('@apollo/gateway/package.json'))),
  );
});

#!/usr/bin/env node
// Composes the subgraphs named in rover.yaml into schema/supergraph.graphql,
// the same artifact `rover supergraph compose --config rover.yaml` writes.
//   node scripts/compose.mjs          write the file
//   node scripts/compose.mjs --check  fail if the committed file is out of date
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { composeSupergraph } from './lib/composition.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const output = resolve(root, 'schema/supergraph.graphql');

try {
  const sdl = composeSupergraph(resolve(root, 'rover.yaml'));
  if (process.argv.includes('--check')) {
    let committed = '';
    try {
      committed = readFileSync(output, 'utf8');
    } catch {
      // a missing file is simply out of date
    }
    if (committed !== sdl) {
      console.error('schema/supergraph.graphql is out of date with the subgraph schemas; run `npm run compose` and commit it');
      process.exit(1);
    }
    console.log('schema/supergraph.graphql is up to date');
  } else {
    mkdirSync(dirname(output), { recursive: true });
    writeFileSync(output, sdl);
    console.log(`composed ${output}`);
  }
} catch (error) {
  console.error(error.message);
  process.exit(1);
}

#!/usr/bin/env node
// Generates each subgraph's resolver and argument types, subgraphs/<name>/src/generated/resolvers-types.ts,
// from its schema.graphql and codegen.json with GraphQL Code Generator (typescript + typescript-resolvers).
//   node scripts/codegen.mjs          write the files
//   node scripts/codegen.mjs --check  fail if a committed file is out of date
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCodegen } from './lib/codegen.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

process.exitCode = await runCodegen({ root, check: process.argv.includes('--check') });

#!/usr/bin/env node
// Registers a client's operations for PERSISTED_QUERIES=safelist: reads every .graphql file under a
// directory, checks each operation against schema/supergraph.graphql's API, and writes an Apollo
// persisted query manifest (ids are the SHA-256 of each body).
//   node scripts/persisted-register.mjs <operations dir> [--out <manifest>] [--check]
//   --out    where the manifest goes (default: persisted-query-manifest.json beside the directory)
//   --check  write nothing; fail if the manifest on disk is not what the operations make
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { apiSchemaOf, buildManifest, manifestText, readOperationFiles } from './lib/persisted-manifest.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const usage = 'usage: node scripts/persisted-register.mjs <operations dir> [--out <manifest>] [--check]';

let args;
try {
  args = parseArgs({ allowPositionals: true, options: { out: { type: 'string' }, check: { type: 'boolean' } } });
} catch (error) {
  console.error(`${error.message}\n${usage}`);
  process.exit(2);
}
if (args.positionals.length !== 1) {
  console.error(`expected one directory of .graphql operations (got ${args.positionals.length})\n${usage}`);
  process.exit(2);
}
const dir = resolve(args.positionals[0]);
const out = resolve(args.values.out ?? resolve(dir, '..', 'persisted-query-manifest.json'));

let sources;
try {
  sources = readOperationFiles(dir);
} catch (error) {
  console.error(`cannot read ${dir}: ${error.message}`);
  process.exit(1);
}
if (sources.length === 0) {
  console.error(`${dir} holds no .graphql files: nothing to register`);
  process.exit(1);
}
const schema = apiSchemaOf(readFileSync(resolve(root, 'schema/supergraph.graphql'), 'utf8'));
const { manifest, errors } = buildManifest(sources, schema);
if (errors) {
  console.error(`${errors.length} problem(s) in ${dir}; nothing written:\n${errors.map((e) => `  - ${e}`).join('\n')}`);
  process.exit(1);
}
const text = manifestText(manifest);
if (args.values.check) {
  let current = '';
  try {
    current = readFileSync(out, 'utf8');
  } catch {
    // a missing manifest is simply out of date
  }
  if (current !== text) {
    console.error(`${out} is out of date with ${dir}; run \`npm run persisted:register\` and commit it`);
    process.exit(1);
  }
  console.log(`${out} is up to date (${manifest.operations.length} operations)`);
} else {
  writeFileSync(out, text);
  console.log(`wrote ${out} (${manifest.operations.length} operations)`);
}

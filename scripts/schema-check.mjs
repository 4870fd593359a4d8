#!/usr/bin/env node
// `npm run schema:check`: what `rover subgraph check` does for a product team, offline. Composes the
// supergraph from rover.yaml with the subgraph schemas as proposed and compares what clients see
// with the committed schema/supergraph.graphql, printing every change as BREAKING, DANGEROUS or SAFE
// (@graphql-inspector/core's criticality). Changes to the @inaccessible internal fields other
// subgraphs call (catalog's reserveStock/releaseStock, used by orders) are reported too, marked
// "internal:". Federation plumbing (join__*, @link) is never reported.
//
//   npm run schema:check                        every subgraph as in the working tree
//   npm run schema:check -- --subgraph catalog --schema path/to/proposed.graphql
//                                               one subgraph replaced by a proposed SDL file
//   --base <git ref>     compare with schema/supergraph.graphql at that commit (default HEAD; in CI
//                        on a pull request, the target branch, e.g. --base origin/main)
//   --base-file <path>   compare with this supergraph file instead
//
// Exit status: 0 when nothing breaks (or every breaking change is approved), 1 on an unapproved
// breaking change or when the subgraphs do not compose (the composer's messages are printed),
// 2 on bad usage or an unreadable input.
//
// Approved breaking changes live in schema/approved-changes.json (committed, reviewed like code):
//   {
//     "approved": [
//       { "path": "Query.product", "type": "FIELD_REMOVED", "reason": "no client has called it since 2026-09; see #123" }
//     ]
//   }
// `path` and `type` are the inspector's, exactly as this script prints them (the path is the second
// column; the type is the inspector's change type such as FIELD_REMOVED, FIELD_TYPE_CHANGED,
// FIELD_ARGUMENT_TYPE_CHANGED, ENUM_VALUE_REMOVED; `--json` prints both). An approved breaking change is
// printed as APPROVED and does not fail the check. Once the change is in the committed supergraph
// the entry matches nothing any more (the script says so) and can be deleted.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runSchemaCheck } from './lib/schema-check.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SUPERGRAPH = 'schema/supergraph.graphql';
const APPROVED = 'schema/approved-changes.json';
// Paths on the command line are the caller's: npm runs scripts from the root but records where it was called.
const callerDir = process.env.INIT_CWD || process.cwd();

function usage(message) {
  console.error(
    `${message}\nusage: npm run schema:check [-- --subgraph <name> --schema <file>] [--base <git ref> | --base-file <file>] [--json]`,
  );
  process.exit(2);
}

function readBase({ base, baseFile }) {
  if (baseFile) return { sdl: readFileSync(resolve(callerDir, baseFile), 'utf8'), label: baseFile };
  const ref = base ?? 'HEAD';
  try {
    const sdl = execFileSync('git', ['show', `${ref}:${SUPERGRAPH}`], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return { sdl, label: `${SUPERGRAPH} at ${ref}` };
  } catch (error) {
    if (base) throw new Error(`cannot read ${SUPERGRAPH} at ${base}: ${String(error.stderr || error.message).trim()}`, { cause: error });
    // No git (e.g. an exported tree) or the file is not committed yet: the file as it is.
    return { sdl: readFileSync(resolve(root, SUPERGRAPH), 'utf8'), label: `${SUPERGRAPH} (working tree; not found at HEAD)` };
  }
}

async function main() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        subgraph: { type: 'string' },
        schema: { type: 'string' },
        base: { type: 'string' },
        'base-file': { type: 'string' },
        json: { type: 'boolean', default: false },
      },
    }));
  } catch (error) {
    return usage(error.message);
  }
  if (Boolean(values.subgraph) !== Boolean(values.schema)) return usage('--subgraph and --schema go together');
  if (values.base && values['base-file']) return usage('give --base or --base-file, not both');

  let base, run;
  try {
    base = readBase({ base: values.base, baseFile: values['base-file'] });
    run = await runSchemaCheck({
      configPath: resolve(root, 'rover.yaml'),
      baseSupergraphSdl: base.sdl,
      approvedFile: resolve(root, APPROVED),
      approvedLabel: APPROVED,
      subgraph: values.subgraph,
      schemaFile: values.schema && resolve(callerDir, values.schema),
    });
  } catch (error) {
    console.error(error.message);
    return 2;
  }

  if (values.json) {
    console.log(JSON.stringify({ ...run.result, supergraphSdl: undefined }, null, 2));
  } else {
    const what = values.subgraph
      ? `subgraph ${values.subgraph} from ${values.schema}`
      : 'the subgraphs in rover.yaml as in the working tree';
    console.log(`Checking ${what} against ${base.label}\n`);
    for (const line of run.lines) console.log(line);
  }
  return run.exitCode;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(error.stack || error.message);
    process.exit(2);
  },
);

// Shared by the compose script and the test that checks the committed supergraph.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { parse } from 'graphql';
import { composeServices } from '@apollo/composition';

/** Reads a rover supergraph config: federation_version and each subgraph's routing_url and schema.file. */
export function readRoverConfig(configPath) {
  const config = parseYaml(readFileSync(configPath, 'utf8'));
  if (!config || typeof config.subgraphs !== 'object') throw new Error(`${configPath}: no "subgraphs" section`);
  const version = String(config.federation_version ?? '');
  if (!/^=?2\./.test(version)) throw new Error(`${configPath}: federation_version must be 2.x (got "${version}")`);
  return Object.entries(config.subgraphs).map(([name, subgraph]) => {
    if (!subgraph?.routing_url) throw new Error(`${configPath}: subgraph ${name} has no routing_url`);
    if (!subgraph?.schema?.file) throw new Error(`${configPath}: subgraph ${name} has no schema.file`);
    return { name, url: subgraph.routing_url, file: resolve(dirname(configPath), subgraph.schema.file) };
  });
}

/** Returns the supergraph SDL, or throws with every composition error the composer reported. */
export function composeSupergraph(configPath) {
  const services = readRoverConfig(configPath).map(({ name, url, file }) => ({
    name,
    url,
    typeDefs: parse(readFileSync(file, 'utf8')),
  }));
  const result = composeServices(services);
  if (result.errors) {
    throw new Error(`Composition failed:\n${result.errors.map((e) => `  - ${e.message}`).join('\n')}`);
  }
  return result.supergraphSdl.endsWith('\n') ? result.supergraphSdl : result.supergraphSdl + '\n';
}

/**
 * Composes an explicit list of subgraphs, e.g. rover.yaml's with one schema replaced by a proposed one.
 * Each service is { name, url, typeDefs } with typeDefs as SDL text or a parsed document. Never throws
 * for bad input: returns { supergraphSdl } on success, { errors } (the composer's messages, or the
 * parser's, prefixed with the subgraph's name) otherwise.
 */
export function composeServiceList(services) {
  const parsed = [];
  const errors = [];
  for (const { name, url, typeDefs } of services) {
    try {
      parsed.push({ name, url, typeDefs: typeof typeDefs === 'string' ? parse(typeDefs) : typeDefs });
    } catch (error) {
      const at = error.locations?.[0] ? ` (line ${error.locations[0].line}, column ${error.locations[0].column})` : '';
      errors.push(`[${name}] ${error.message}${at}`);
    }
  }
  if (errors.length) return { errors };
  const result = composeServices(parsed);
  if (result.errors) return { errors: result.errors.map((e) => e.message) };
  return { supergraphSdl: result.supergraphSdl.endsWith('\n') ? result.supergraphSdl : result.supergraphSdl + '\n' };
}

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { operationId, parseManifest, readManifestFile } from './manifest.js';

const body = 'query Me {\n  me {\n    id\n  }\n}';
const entry = { id: operationId(body), name: 'Me', type: 'query', body };
const manifest = (operations: unknown[], extra: Record<string, unknown> = {}) =>
  JSON.stringify({ format: 'apollo-persisted-query-manifest', version: 1, operations, ...extra });

describe('parseManifest', () => {
  it('reads the operations of an Apollo persisted query manifest', () => {
    expect(parseManifest(manifest([entry]))).toEqual([entry]);
    expect(entry.id).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuses another format or version, saying what it expects', () => {
    expect(() => parseManifest('{')).toThrow(/not valid JSON/);
    expect(() => parseManifest(manifest([entry], { format: 'something-else' }))).toThrow(
      /"format": "apollo-persisted-query-manifest", "version": 1/,
    );
    expect(() => parseManifest(manifest([entry], { version: 2 }))).toThrow(/"version": 1/);
  });

  it('refuses an entry whose id is not the hash of its body (a hand edit), or that lacks a field', () => {
    expect(() => parseManifest(manifest([{ ...entry, body: `${body} ` }]))).toThrow(
      /operations\[0\] \(Me\): id is not the SHA-256 of its body/,
    );
    expect(() => parseManifest(manifest([{ ...entry, name: '' }]))).toThrow(/operations\[0\] needs a non-empty string "name"/);
    expect(() => parseManifest(manifest([{ ...entry, type: 'fragment' }]))).toThrow(/type must be query, mutation or subscription/);
  });

  it('names the file it could not read or parse', () => {
    const dir = mkdtempSync(join(tmpdir(), 'manifest-'));
    expect(() => readManifestFile(join(dir, 'missing.json'))).toThrow(/cannot read .*missing\.json \(ENOENT\)/);
    writeFileSync(join(dir, 'bad.json'), '[]');
    expect(() => readManifestFile(join(dir, 'bad.json'))).toThrow(/bad\.json: expected/);
  });
});

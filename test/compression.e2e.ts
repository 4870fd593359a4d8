import http from 'node:http';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { adminToken, createProduct } from './helpers.js';

// The gateway compresses answers above COMPRESSION_MIN_BYTES (1 KB) with brotli or gzip, as the
// client's Accept-Encoding asks. Raw node:http here: fetch would decompress before we could look.

const LISTING = '{ products(first: 100) { edges { node { id sku name description category pricePaise stock } } } }';
const SMALL = '{ __typename }';

function post(query: string, acceptEncoding?: string): Promise<{ headers: http.IncomingHttpHeaders; body: Buffer }> {
  const url = new URL(inject('gatewayUrl'));
  const payload = JSON.stringify({ query });
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(acceptEncoding ? { 'accept-encoding': acceptEncoding } : {}) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

describe('response compression', () => {
  let plain: { headers: http.IncomingHttpHeaders; body: Buffer };

  beforeAll(async () => {
    // Enough products that the listing is well over 1 KB.
    const admin = await adminToken();
    for (let i = 0; i < 8; i++) await createProduct(admin, { description: `A hand-made brass lamp, number ${i}, for the festive season.` });
    plain = await post(LISTING);
  });

  it('sends a large answer as it is to a client that accepts no encoding', () => {
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body.length).toBeGreaterThan(1_024);
    expect(JSON.parse(plain.body.toString()).data.products.edges.length).toBeGreaterThanOrEqual(8);
  });

  it.each([
    ['br', 'gzip, deflate, br', brotliDecompressSync],
    ['gzip', 'gzip', gunzipSync],
  ] as const)('compresses a large answer with %s, smaller, and decoding to the same JSON', async (encoding, accept, decode) => {
    const answer = await post(LISTING, accept);
    expect(answer.headers['content-encoding']).toBe(encoding);
    expect(String(answer.headers.vary).toLowerCase()).toContain('accept-encoding');
    expect(answer.body.length).toBeLessThan(plain.body.length);
    // The listing may have grown between the two requests (other tests add products): compare shape, then this one's products.
    const decoded = JSON.parse(decode(answer.body).toString());
    const before = JSON.parse(plain.body.toString()).data.products.edges.map((e: { node: { id: string } }) => e.node.id);
    const after = decoded.data.products.edges.map((e: { node: { id: string } }) => e.node.id);
    expect(after.slice(0, before.length)).toEqual(before);
  });

  it('leaves a small answer uncompressed even when the client accepts br', async () => {
    const answer = await post(SMALL, 'br');
    expect(answer.headers['content-encoding']).toBeUndefined();
    expect(JSON.parse(answer.body.toString())).toEqual({ data: { __typename: 'Query' } });
  });
});

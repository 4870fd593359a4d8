import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { stopChild } from '../scripts/lib/child-process.mjs';
import { ensureLocalDbBinary } from '../scripts/lib/localdb.mjs';

// The local database (FerretDB behind the project's serialising proxy: one write at
// a time, reads alongside each other) must give MongoDB's single-document
// atomicity: of many racing conditional updates on one document, only as many win
// as the condition allows, also while reads run.
describe('local database atomicity', () => {
  const clients: MongoClient[] = [];

  beforeAll(async () => {
    // Separate clients, so the updates travel on separate connections as they would from separate processes.
    for (let i = 0; i < 8; i++) clients.push(await new MongoClient(inject('mongodbUri'), { maxPoolSize: 5 }).connect());
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
  });

  it('two racing conditional updates cannot both win, over many rounds', async () => {
    const collection = clients[0].db().collection<{ _id: string; stock: number }>('atomicity_probe');
    for (let round = 0; round < 25; round++) {
      const _id = `round-${round}`;
      await collection.insertOne({ _id, stock: 1 });
      const results = await Promise.all(
        [0, 1].map((i) =>
          clients[(round + i) % clients.length]
            .db()
            .collection<{ _id: string; stock: number }>('atomicity_probe')
            .findOneAndUpdate({ _id, stock: { $gte: 1 } }, { $inc: { stock: -1 } }, { returnDocument: 'after' }),
        ),
      );
      expect(results.filter((r) => r !== null)).toHaveLength(1);
      expect((await collection.findOne({ _id }))!.stock).toBe(0);
    }
  });

  it('40 racing decrements of a stock of 7 leave exactly 0, never negative', async () => {
    const collection = clients[0].db().collection<{ _id: string; stock: number }>('atomicity_probe');
    await collection.insertOne({ _id: 'burst', stock: 7 });
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        clients[i % clients.length]
          .db()
          .collection<{ _id: string; stock: number }>('atomicity_probe')
          .findOneAndUpdate({ _id: 'burst', stock: { $gte: 1 } }, { $inc: { stock: -1 } }),
      ),
    );
    expect(results.filter((r) => r !== null)).toHaveLength(7);
    expect((await collection.findOne({ _id: 'burst' }))!.stock).toBe(0);
  });

  it('keeps the decrements exact while reads run alongside them (reads share the proxy, writes do not)', async () => {
    const collection = clients[0].db().collection<{ _id: string; stock: number }>('atomicity_probe');
    await collection.insertOne({ _id: 'read-mix', stock: 9 });
    const seen: number[] = [];
    const reads = Array.from({ length: 60 }, async (_, i) => {
      const doc = await clients[(i + 3) % clients.length]
        .db()
        .collection<{ _id: string; stock: number }>('atomicity_probe')
        .findOne({ _id: 'read-mix' });
      seen.push(doc!.stock);
    });
    const writes = Array.from({ length: 30 }, (_, i) =>
      clients[i % clients.length]
        .db()
        .collection<{ _id: string; stock: number }>('atomicity_probe')
        .findOneAndUpdate({ _id: 'read-mix', stock: { $gte: 1 } }, { $inc: { stock: -1 } }),
    );
    const [results] = await Promise.all([Promise.all(writes), Promise.all(reads)]);
    expect(results.filter((r) => r !== null)).toHaveLength(9);
    expect((await collection.findOne({ _id: 'read-mix' }))!.stock).toBe(0);
    // Every read saw a whole state between 9 and 0, never one a write left half done.
    expect(seen.every((stock) => Number.isInteger(stock) && stock >= 0 && stock <= 9)).toBe(true);
  });

  it('enforces unique indexes under concurrent inserts', async () => {
    const collection = clients[0].db().collection('unique_probe');
    await collection.createIndex({ email: 1 }, { unique: true });
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) => clients[i % clients.length].db().collection('unique_probe').insertOne({ email: 'same@x.in' })),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results.filter((r) => r.status === 'rejected')) expect(r.reason.code).toBe(11000);
  });
});

// A client that keeps its connection open (every driver's pool does) must not
// keep the database alive once it is told to stop.
describe('local database shutdown', () => {
  it('exits on SIGTERM while a client still holds a connection', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'supergraph-localdb-shutdown-'));
    // Its own process, not the run's shared database; built from the current sources (a no-op under npm test).
    const child = spawn(
      ensureLocalDbBinary(() => {}),
      ['-data', dataDir, '-listen', '127.0.0.1:0'],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    );
    let client: MongoClient | undefined;
    try {
      const [line] = (await Promise.race([
        once(createInterface({ input: child.stdout }), 'line'),
        once(child, 'exit').then(([code]) => Promise.reject(new Error(`localdb exited with code ${code} before it was ready`))),
      ])) as [string];
      // A short server selection timeout, so closing the client after the server is gone does not wait 30 s.
      client = await new MongoClient(JSON.parse(line).uri, { serverSelectionTimeoutMS: 1_000 }).connect();
      await client.db('shutdown_probe').command({ ping: 1 });
      // The ping's connection now sits idle in the pool, open. A short grace: the SIGKILL fallback
      // would show as signal 'SIGKILL'; exiting by itself after SIGTERM is code 0.
      expect(await stopChild(child, { graceMs: 5_000 })).toEqual({ code: 0, signal: null });
    } finally {
      await client?.close().catch(() => {});
      await stopChild(child, { signal: 'SIGKILL' });
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('local database files', () => {
  it('keeps its data folder readable by its own user only, also one that existed with wider rights', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'supergraph-localdb-mode-'));
    const dataDir = join(parent, 'data');
    mkdirSync(dataDir, { mode: 0o755 });
    chmodSync(dataDir, 0o755);
    const child = spawn(
      ensureLocalDbBinary(() => {}),
      ['-data', dataDir, '-listen', '127.0.0.1:0'],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    );
    try {
      await Promise.race([
        once(createInterface({ input: child.stdout }), 'line'),
        once(child, 'exit').then(([code]) => Promise.reject(new Error(`localdb exited with code ${code} before it was ready`))),
      ]);
      expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    } finally {
      await stopChild(child, { graceMs: 5_000 });
      rmSync(parent, { recursive: true, force: true });
    }
  });
});

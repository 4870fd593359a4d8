import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';

// The local database (FerretDB behind the project's serialising proxy) must give
// MongoDB's single-document atomicity: of many racing conditional updates on
// one document, only as many win as the condition allows.
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

  it('enforces unique indexes under concurrent inserts', async () => {
    const collection = clients[0].db().collection('unique_probe');
    await collection.createIndex({ email: 1 }, { unique: true });
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) => clients[i % clients.length].db().collection('unique_probe').insertOne({ email: 'same@x.in' })),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results.filter((r) => r.status === 'rejected')) expect((r as PromiseRejectedResult).reason.code).toBe(11000);
  });
});

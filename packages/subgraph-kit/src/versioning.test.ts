import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Schema, Types, type Connection, type Model } from 'mongoose';
import { createLogger } from '@supergraph/runtime';
import { connectMongo, subjectOf, versionPlugin } from './index.js';
import { testDatabaseUri } from './testing.js';

interface Thing {
  _id: Types.ObjectId;
  name: string;
  count: number;
  version: number;
}

let connection: Connection;
let things: Model<Thing>;

beforeAll(async () => {
  connection = await connectMongo(testDatabaseUri('versioning'), createLogger('test', 'silent'));
  const schema = new Schema<Thing>({ name: String, count: Number }, { collection: 'things' });
  schema.plugin(versionPlugin);
  things = connection.model<Thing>('Thing', schema);
});

afterAll(async () => {
  await connection?.dropDatabase().catch(() => {});
  await connection?.close();
});

const stored = async (id: Types.ObjectId) => (await things.collection.findOne({ _id: id }))!.version as number;

describe('versionPlugin (on the test database)', () => {
  it('starts a new document at 0', async () => {
    const thing = await things.create({ name: 'a', count: 1 });
    expect(thing.version).toBe(0);
    expect(await stored(thing._id)).toBe(0);
  });

  it('adds one with each findOneAndUpdate, in the same update, and returns the new version', async () => {
    const { _id } = await things.create({ name: 'b', count: 1 });
    const first = await things.findOneAndUpdate({ _id }, { $set: { name: 'b2' } }, { new: true }).lean<Thing>();
    expect(first).toMatchObject({ name: 'b2', version: 1 });
    // Beside an $inc of its own, and with a conditional filter (the stock reservations' shape).
    const second = await things.findOneAndUpdate({ _id, count: { $gte: 1 } }, { $inc: { count: -1 } }, { new: true }).lean<Thing>();
    expect(second).toMatchObject({ count: 0, version: 2 });
    // A filter that does not match writes nothing and counts nothing.
    expect(await things.findOneAndUpdate({ _id, count: { $gte: 1 } }, { $inc: { count: -1 } }, { new: true }).lean()).toBeNull();
    expect(await stored(_id)).toBe(2);
  });

  it('adds one with updateOne and updateMany, and with save() of a changed document', async () => {
    const { _id } = await things.create({ name: 'c', count: 1 });
    await things.updateOne({ _id }, { $set: { count: 5 } });
    await things.updateMany({ _id }, { $set: { count: 6 } });
    expect(await stored(_id)).toBe(2);
    const doc = (await things.findById(_id))!;
    doc.name = 'c2';
    await doc.save();
    expect(await stored(_id)).toBe(3);
  });

  it('gives a document written before the plugin a version on its first write', async () => {
    const _id = new Types.ObjectId();
    await things.collection.insertOne({ _id, name: 'legacy', count: 1 });
    const updated = await things.findOneAndUpdate({ _id }, { $set: { count: 2 } }, { new: true }).lean<Thing>();
    expect(updated!.version).toBe(1);
  });
});

describe('subjectOf', () => {
  it("reads a stored document's id and version", () => {
    const _id = new Types.ObjectId();
    expect(subjectOf('product.updated.x', { _id, version: 4 })).toEqual({ entity: String(_id), version: 4 });
  });

  it('falls back to the channel and no version', () => {
    expect(subjectOf('order.placed', { tag: 'x' })).toEqual({ entity: 'order.placed', version: null });
    expect(subjectOf('c', { _id: 'a', version: '3' })).toEqual({ entity: 'a', version: null });
  });
});

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { GraphQLError } from 'graphql';
import { Schema, Types, type Connection, type Model } from 'mongoose';
import { connectMongo, createByIdLoader, loadOrNull } from './index.js';
import { createLogger } from '@supergraph/runtime';
import { testDatabaseUri } from './testing.js';

interface ThingDoc {
  _id: Types.ObjectId;
  name: string;
  secret: string;
  archived: boolean;
}

let connection: Connection;
let things: Model<ThingDoc>;
let docs: ThingDoc[];
/** `find` commands sent to the things collection. */
let finds: Record<string, any>[];

beforeAll(async () => {
  connection = await connectMongo(testDatabaseUri('loaders'), createLogger('test', 'silent'), { monitorCommands: true });
  things = connection.model<ThingDoc>(
    'Thing',
    new Schema<ThingDoc>({ name: String, secret: String, archived: Boolean }, { collection: 'things' }),
  );
  docs = [];
  for (const name of ['alpha', 'beta', 'gamma', 'delta']) {
    docs.push((await things.create({ name, secret: `s-${name}`, archived: name === 'delta' })).toObject());
  }
  connection.getClient().on('commandStarted', (event) => {
    if (event.commandName === 'find' && event.command.find === 'things') finds.push(event.command);
  });
});

beforeEach(() => {
  finds = [];
});

afterAll(async () => {
  await connection?.dropDatabase().catch(() => {});
  await connection?.close();
});

const byName = (name: string) => docs.find((d) => d.name === name)!;
const idOf = (name: string) => String(byName(name)._id);

describe('createByIdLoader', () => {
  it('loads a batch with one $in query and returns results in key order', async () => {
    const loader = createByIdLoader<ThingDoc>(things, { name: 1 }, 'Thing');
    const keys = [idOf('gamma'), idOf('alpha'), idOf('beta')];
    const results = await Promise.all(keys.map((id) => loader.load(id)));
    expect(results.map((r) => r.name)).toEqual(['gamma', 'alpha', 'beta']);
    expect(results.map((r) => String(r._id))).toEqual(keys);
    expect(finds).toHaveLength(1);
    expect(finds[0].filter._id.$in.map(String).sort()).toEqual([...keys].sort());
  });

  it('through a cache, asks the database only for the ids the cache does not hold, in one query', async () => {
    const held = new Map<string, ThingDoc | null>([[idOf('alpha'), { ...byName('alpha'), name: 'alpha (cached)' }]]);
    const missing = String(new Types.ObjectId());
    held.set(missing, null); // a remembered "no such id"
    const cache = {
      async getMany(ids: string[], load: (ids: string[]) => Promise<Map<string, ThingDoc>>) {
        const loaded = await load(ids.filter((id) => !held.has(id)));
        return new Map(ids.map((id) => [id, held.has(id) ? held.get(id)! : (loaded.get(id) ?? null)]));
      },
    };
    const loader = createByIdLoader<ThingDoc>(things, { name: 1 }, 'Thing', {}, cache);
    const results = await loader.loadMany([idOf('alpha'), idOf('beta').toUpperCase(), missing]);
    expect((results[0] as ThingDoc).name).toBe('alpha (cached)');
    expect((results[1] as ThingDoc).name).toBe('beta');
    expect(results[2]).toBeInstanceOf(GraphQLError);
    expect(finds).toHaveLength(1);
    expect(finds[0].filter._id.$in.map(String)).toEqual([idOf('beta')]);
  });

  it('applies the projection', async () => {
    const loader = createByIdLoader<ThingDoc>(things, { name: 1 }, 'Thing');
    const thing = await loader.load(idOf('alpha'));
    expect(thing.name).toBe('alpha');
    expect(thing).not.toHaveProperty('secret');
  });

  it('gives NOT_FOUND for missing ids and BAD_USER_INPUT for malformed ones, without failing the rest', async () => {
    const loader = createByIdLoader<ThingDoc>(things, { name: 1 }, 'Thing');
    const missing = String(new Types.ObjectId());
    const results = await loader.loadMany([idOf('beta'), missing, 'not-an-id', idOf('alpha')]);
    expect(finds).toHaveLength(1);
    // Malformed ids never reach the database.
    expect(finds[0].filter._id.$in.map(String)).not.toContain('not-an-id');

    expect((results[0] as ThingDoc).name).toBe('beta');
    expect((results[3] as ThingDoc).name).toBe('alpha');

    const notFound = results[1] as GraphQLError;
    expect(notFound).toBeInstanceOf(Error);
    expect(notFound.extensions.code).toBe('NOT_FOUND');
    expect(notFound.message).toBe(`Thing ${missing} was not found`);

    const malformed = results[2] as GraphQLError;
    expect(malformed).toBeInstanceOf(Error);
    expect(malformed.extensions.code).toBe('BAD_USER_INPUT');
    expect(malformed.extensions.field).toBe('id');
  });

  it('rejects load() for a missing id rather than resolving to null', async () => {
    const loader = createByIdLoader<ThingDoc>(things, { name: 1 }, 'Thing');
    await expect(loader.load(String(new Types.ObjectId()))).rejects.toMatchObject({ extensions: { code: 'NOT_FOUND' } });
  });

  it('sends no query when every key is malformed', async () => {
    const loader = createByIdLoader<ThingDoc>(things, { name: 1 }, 'Thing');
    const results = await loader.loadMany(['x', '123']);
    expect(results.every((r) => r instanceof Error && (r as GraphQLError).extensions.code === 'BAD_USER_INPUT')).toBe(true);
    expect(finds).toHaveLength(0);
  });

  it('finds an id given in upper case', async () => {
    const loader = createByIdLoader<ThingDoc>(things, { name: 1 }, 'Thing');
    const thing = await loader.load(idOf('gamma').toUpperCase());
    expect(thing.name).toBe('gamma');
  });

  it('asks for each id once however often it is requested', async () => {
    const loader = createByIdLoader<ThingDoc>(things, { name: 1 }, 'Thing');
    const results = await Promise.all([loader.load(idOf('alpha')), loader.load(idOf('alpha')), loader.load(idOf('beta'))]);
    expect(results.map((r) => r.name)).toEqual(['alpha', 'alpha', 'beta']);
    expect(finds).toHaveLength(1);
    expect(finds[0].filter._id.$in).toHaveLength(2);
    // Cached within the loader: a second load costs no query.
    await loader.load(idOf('beta'));
    expect(finds).toHaveLength(1);
  });

  it('treats documents outside the extra filter as not found', async () => {
    const loader = createByIdLoader<ThingDoc>(things, { name: 1 }, 'Thing', { archived: { $ne: true } });
    const results = await loader.loadMany([idOf('delta'), idOf('alpha')]);
    expect((results[0] as GraphQLError).extensions.code).toBe('NOT_FOUND');
    expect((results[1] as ThingDoc).name).toBe('alpha');
  });
});

describe('loadOrNull', () => {
  it('answers null for a missing document, the document when it exists, and still fails on a malformed id', async () => {
    const loader = createByIdLoader<ThingDoc>(things, { name: 1 }, 'Thing');
    expect(await loadOrNull(loader, String(new Types.ObjectId()))).toBeNull();
    expect((await loadOrNull(loader, idOf('gamma')))?.name).toBe('gamma');
    await expect(loadOrNull(loader, 'not-an-id')).rejects.toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
  });
});

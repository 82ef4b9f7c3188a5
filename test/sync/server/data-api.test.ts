import type { ObjectId } from 'mongodb';
import type * as Realm from 'realm-web';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { newUser, startTestServer, type TestServer, uniqueDb } from '../../helpers/server.js';

let server: TestServer;
const openDb = uniqueDb('open');
beforeAll(async () => {
  server = await startTestServer({ openCollections: [`${openDb}.test-collection`] });
});
afterAll(async () => {
  await server?.close();
});

// The flows of realm-web's own remote-mongodb-service integration test, on an open collection.
describe('data API on an open collection (realm-web integration flows)', () => {
  let user: Realm.User;
  type Doc = { _id: ObjectId; name: string; hiddenField?: string; runId?: number };
  const open = (u: Realm.User) =>
    u.mongoClient('mongodb-atlas').db(openDb).collection<Doc>('test-collection');
  let coll: ReturnType<typeof open>;
  let runId = 0;
  beforeAll(async () => {
    user = (await newUser(server.newApp())).user;
    coll = open(user);
  });
  beforeEach(async () => {
    runId += 1;
    await coll.deleteMany({});
    await coll.insertMany([
      { name: 'Alice', hiddenField: 'a', runId },
      { name: 'Bob', hiddenField: 'b', runId },
      { name: 'Charlie', hiddenField: 'c', runId },
    ]);
  });

  it('find with limit returns documents with ObjectId _ids', async () => {
    const docs = await coll.find({}, { limit: 2 });
    expect(docs).toHaveLength(2);
    expect(docs[0]?._id?.toHexString()).toMatch(/^[0-9a-f]{24}$/);
  });

  it('findOne returns null when nothing matches and honours a projection', async () => {
    expect(await coll.findOne({ name: 'Nobody' })).toBeNull();
    const doc = await coll.findOne({ name: 'Bob' }, { projection: { name: 1 } });
    expect(Object.keys(doc ?? {}).sort()).toEqual(['_id', 'name']);
  });

  it('findOneAndUpdate with upsert and returnNewDocument, and with a projection', async () => {
    const created = await coll.findOneAndUpdate(
      { name: 'Dave' },
      { $set: { hiddenField: 'd' } },
      { upsert: true, returnNewDocument: true },
    );
    expect(created).toMatchObject({ name: 'Dave', hiddenField: 'd' });
    const projected = await coll.findOneAndUpdate(
      { name: 'Alice' },
      { $set: { hiddenField: 'z' } },
      { projection: { name: 1, _id: 0 } },
    );
    expect(projected).toEqual({ name: 'Alice' });
  });

  it('findOneAndUpdate without operators replaces the document', async () => {
    const doc = await coll.findOneAndUpdate({ name: 'Eve' }, { name: 'Eve', hiddenField: 'e' } as never, {
      upsert: true,
      returnNewDocument: true,
    });
    expect(Object.keys(doc ?? {}).sort()).toEqual(['_id', 'hiddenField', 'name']);
  });

  it('findOneAndReplace with projection and upsert', async () => {
    const doc = await coll.findOneAndReplace(
      { name: 'Frank' },
      { name: 'Frank', hiddenField: 'f' },
      { upsert: true, returnNewDocument: true, projection: { hiddenField: 1, _id: 0 } },
    );
    expect(doc).toEqual({ hiddenField: 'f' });
  });

  it('findOneAndDelete (sent as findOneAndReplace without update) deletes the sorted first match', async () => {
    const deleted = await coll.findOneAndDelete({}, { sort: { name: -1 } });
    expect(deleted).toMatchObject({ name: 'Charlie', hiddenField: 'c' });
    expect(await coll.count()).toBe(2);
  });

  it('aggregate, count, insertOne then findOne by $eq', async () => {
    const grouped = await coll.aggregate([
      { $match: { runId } },
      { $sort: { name: 1 } },
      { $project: { _id: 0, name: 1 } },
    ]);
    expect(grouped.map((d: { name: string }) => d.name)).toEqual(['Alice', 'Bob', 'Charlie']);
    expect(await coll.count({ runId })).toBe(3);
    const { insertedId } = await coll.insertOne({ name: 'Grace' });
    expect(await coll.findOne({ _id: { $eq: insertedId } })).toMatchObject({ name: 'Grace' });
  });

  it('insertMany returns ObjectId insertedIds; deleteOne and deleteMany count', async () => {
    const { insertedIds } = await coll.insertMany([{ name: 'H' }, { name: 'I' }]);
    expect(insertedIds).toHaveLength(2);
    expect(insertedIds.every((id: unknown) => /^[0-9a-f]{24}$/.test(String(id)))).toBe(true);
    expect(await coll.deleteOne({ name: 'H' })).toEqual({ deletedCount: 1 });
    expect(await coll.deleteMany({ runId })).toEqual({ deletedCount: 3 });
  });

  it('updateOne: 1/1 without upsertedId; upsert gives 0/0 and an ObjectId; updateMany 3/3', async () => {
    const one = await coll.updateOne({ name: 'Alice' }, { $set: { hiddenField: 'x' } });
    expect(one).toEqual({ matchedCount: 1, modifiedCount: 1 });
    expect(one.upsertedId).toBeUndefined();
    const up = await coll.updateOne({ name: 'Zed' }, { $set: { hiddenField: 'z' } }, { upsert: true });
    expect(up).toMatchObject({ matchedCount: 0, modifiedCount: 0 });
    expect(String(up.upsertedId)).toMatch(/^[0-9a-f]{24}$/);
    const many = await coll.updateMany({ runId }, { hiddenField: 'all' } as never);
    expect(many).toMatchObject({ matchedCount: 3, modifiedCount: 3 });
  });
});

describe('rules on the custom data collection', () => {
  let user: Realm.User;
  let other: Realm.User;
  const coll = (u: Realm.User) =>
    u.mongoClient('mongodb-atlas').db(server.config.customData.database).collection('custom-user-data');
  beforeAll(async () => {
    user = (await newUser(server.newApp())).user;
    other = (await newUser(server.newApp())).user;
    await coll(other).updateOne({}, { $set: { favoriteColor: 'secret-of-other' } }, { upsert: true });
  });

  it('scopes reads to the caller: an empty filter sees only their own document', async () => {
    await coll(user).updateOne({ userId: user.id }, { $set: { favoriteColor: 'blue' } }, { upsert: true });
    const docs = await coll(user).find({});
    expect(docs.map((d) => d.userId)).toEqual([user.id]);
    expect(await coll(user).count({ favoriteColor: 'secret-of-other' })).toBe(0);
    const agg = await coll(user).aggregate([{ $project: { userId: 1 } }]);
    expect(agg.map((d: { userId: string }) => d.userId)).toEqual([user.id]);
  });

  it("refuses to read, update or delete another user's document (403), and changes nothing", async () => {
    for (const attempt of [
      () => coll(user).findOne({ userId: other.id }),
      () => coll(user).updateOne({ userId: other.id }, { $set: { favoriteColor: 'hacked' } }),
      () => coll(user).deleteMany({ userId: other.id }),
    ]) {
      await expect(attempt()).rejects.toMatchObject({ statusCode: 403, errorCode: 'NoMatchingRuleFound' });
    }
    expect((await server.customData.findOne({ userId: other.id }))?.favoriteColor).toBe('secret-of-other');
  });

  it('refuses to create a document for another id or to move one away', async () => {
    await expect(coll(user).insertOne({ userId: other.id, x: 1 })).rejects.toMatchObject({ statusCode: 403 });
    await expect(coll(user).updateOne({}, { $set: { userId: other.id } })).rejects.toMatchObject({
      statusCode: 403,
    });
    await expect(coll(user).updateOne({}, { $unset: { userId: '' } })).rejects.toMatchObject({
      statusCode: 403,
    });
    await expect(coll(user).updateOne({}, { $rename: { userId: 'owner' } })).rejects.toMatchObject({
      statusCode: 403,
    });
    await expect(coll(user).findOneAndReplace({}, { userId: other.id })).rejects.toMatchObject({
      statusCode: 403,
    });
    expect(await server.customData.countDocuments({ userId: other.id })).toBe(1);
    expect(await server.customData.countDocuments({ userId: user.id })).toBe(1);
  });

  it('an upsert without the user ID field creates the document for the caller', async () => {
    const fresh = (await newUser(server.newApp())).user;
    await coll(fresh).updateOne({}, { $set: { preferredLanguage: 'de' } }, { upsert: true });
    expect(await server.customData.findOne({ userId: fresh.id })).toMatchObject({ preferredLanguage: 'de' });
    expect((await fresh.refreshCustomData()).preferredLanguage).toBe('de');
  });

  it('a replacement keeps the owner', async () => {
    const fresh = (await newUser(server.newApp())).user;
    await coll(fresh).insertOne({ favoriteColor: 'red' });
    await coll(fresh).updateOne({}, { favoriteColor: 'green' } as never);
    expect(await server.customData.findOne({ userId: fresh.id })).toMatchObject({ favoriteColor: 'green' });
  });

  it('refuses $where, $function and pipeline stages that reach other collections', async () => {
    await expect(coll(user).find({ $where: 'true' })).rejects.toMatchObject({
      statusCode: 400,
      errorCode: 'InvalidParameter',
    });
    await expect(
      coll(user).find({ $expr: { $function: { body: 'function(){return true}', args: [], lang: 'js' } } }),
    ).rejects.toMatchObject({ statusCode: 400 });
    await expect(
      coll(user).aggregate([{ $lookup: { from: 'users', localField: 'a', foreignField: 'b', as: 'c' } }]),
    ).rejects.toMatchObject({
      statusCode: 403,
    });
    // Nested in $facet, a $lookup would read every user's document: refused at any depth.
    await expect(
      coll(user).aggregate([
        { $facet: { all: [{ $lookup: { from: 'custom-user-data', pipeline: [], as: 'everyone' } }] } },
      ]),
    ).rejects.toMatchObject({ statusCode: 403 });
  });

  it('denies collections no rule opens, and unknown services and operations', async () => {
    const closed = user.mongoClient('mongodb-atlas').db(server.config.appDatabase).collection('users');
    await expect(closed.find({})).rejects.toMatchObject({
      statusCode: 403,
      errorCode: 'NoMatchingRuleFound',
    });
    await expect(user.mongoClient('other-service').db('x').collection('y').find({})).rejects.toMatchObject({
      statusCode: 404,
      errorCode: 'ServiceNotFound',
    });
  });

  it('never returns 401 for a valid token, so realm-web cannot loop on a denial', async () => {
    const err = await coll(user)
      .find({ userId: other.id })
      .catch((e: Realm.MongoDBRealmError) => e);
    expect((err as Realm.MongoDBRealmError).statusCode).not.toBe(401);
  });
});

/**
 * Mongo smoke check: run once per server (CI runs it before the tests). It exercises
 * exactly the features this project relies on, so a server that lacks one fails here
 * with a named step instead of deep inside a test. Usage: MONGODB_URI=... tsx smoke.ts
 */
import { MongoClient, MongoServerError } from 'mongodb';

const uri = process.env.MONGODB_URI;
if (!uri) {
  console.error('smoke: MONGODB_URI is not set');
  process.exit(2);
}

const client = new MongoClient(uri, { serverSelectionTimeoutMS: 5_000 });

/** Readiness probe: ping with our own driver for up to ~90 s. */
async function waitForServer(): Promise<void> {
  const deadline = Date.now() + 90_000;
  for (;;) {
    try {
      await client.db('admin').command({ ping: 1 });
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

function check(step: string, ok: boolean, detail?: unknown): void {
  if (!ok) throw new Error(`smoke step failed: ${step} ${JSON.stringify(detail) ?? ''}`);
  console.log(`ok  ${step}`);
}

async function main(): Promise<void> {
  await waitForServer();
  const hello = await client.db('admin').command({ hello: 1 });
  console.log(`server maxWireVersion=${hello.maxWireVersion}`);

  const db = client.db(`smoke-${process.pid}-${Date.now()}`);
  const coll = db.collection<{ _id?: unknown; userId: string; n?: number; tag?: string }>('custom-user-data');
  try {
    await coll.createIndex({ userId: 1, _id: 1 });
    await db.collection('creds').createIndex({ email: 1 }, { unique: true });
    await db.collection('creds').insertOne({ email: 'a@b.c' });
    let code: unknown;
    try {
      await db.collection('creds').insertOne({ email: 'a@b.c' });
    } catch (error) {
      code = error instanceof MongoServerError ? error.code : error;
    }
    check('unique index enforced (11000)', code === 11000, code);

    const up = await coll.updateOne(
      { userId: 'u1' },
      { $set: { tag: 'x' }, $setOnInsert: { n: 1 } },
      { upsert: true },
    );
    check('upsert with $setOnInsert', up.upsertedCount === 1, up);
    const upAnd = await coll.updateOne(
      // The shape the rules engine gives a scoped filter: the owner as a top-level equality
      // (the upsert takes it into the new document) plus the caller's conditions in $and.
      { tag: 'y', userId: 'u2', $and: [{ n: { $exists: false } }] },
      { $set: { n: 5 } },
      { upsert: true },
    );
    const u2 = await coll.findOne({ userId: 'u2' });
    check('upsert with top-level equality and $and', upAnd.upsertedCount === 1 && u2?.tag === 'y', u2);

    await coll.updateOne({ userId: 'u1' }, { $inc: { n: 2 }, $unset: { tag: '' } });
    const u1 = await coll.findOne({ userId: 'u1' });
    check('$inc and $unset', u1?.n === 3 && !('tag' in (u1 ?? {})), u1);

    await coll.insertMany([
      { userId: 'u1', n: 10 },
      { userId: 'u1', n: 20 },
    ]);
    // "First inserted wins" means lowest _id: check the server sorts ObjectIds that way.
    const all = await coll.find({ userId: 'u1' }).toArray();
    const lowest = all.map((d) => String(d._id)).sort()[0];
    const first = await coll.find({ userId: 'u1' }).sort({ _id: 1 }).limit(1).toArray();
    check('sort + limit (lowest _id first)', first.length === 1 && String(first[0]?._id) === lowest, first);

    const after = await coll.findOneAndUpdate(
      { userId: 'u2' },
      { $inc: { n: 1 } },
      { returnDocument: 'after' },
    );
    check('findOneAndUpdate returns the new document', after?.n === 6, after);
    const before = await coll.findOneAndUpdate(
      { userId: 'u2' },
      { $set: { n: 7 } },
      { returnDocument: 'before', projection: { n: 1 } },
    );
    check(
      'findOneAndUpdate returns the projected pre-image',
      before?.n === 6 && !('userId' in (before ?? {})),
      before,
    );

    const session = client.startSession();
    try {
      await session.withTransaction(async () => {
        await coll.updateOne({ userId: 'u2' }, { $inc: { n: 1 } }, { session });
        await coll.insertOne({ userId: 'u3' }, { session });
      });
    } finally {
      await session.endSession();
    }
    check('multi-document transaction', (await coll.findOne({ userId: 'u2' }))?.n === 8);

    const stream = coll.watch([], { fullDocument: 'updateLookup' });
    try {
      const next = stream.next();
      // Give the server a moment to open the cursor before the write it must report.
      await new Promise((resolve) => setTimeout(resolve, 200));
      await coll.updateOne({ userId: 'u2' }, { $set: { tag: 'watched' } });
      const change = (await Promise.race([
        next,
        new Promise((_, reject) => setTimeout(() => reject(new Error('no change event in 5 s')), 5_000)),
      ])) as { operationType?: string; fullDocument?: { tag?: string } };
      check(
        'change stream reports an update',
        change.operationType === 'update' && change.fullDocument?.tag === 'watched',
        change,
      );
    } finally {
      await stream.close();
    }

    check('countDocuments', (await coll.countDocuments({ userId: 'u1' })) === 3);
    const grouped = await coll
      .aggregate([{ $match: { userId: 'u1' } }, { $group: { _id: '$userId', total: { $sum: '$n' } } }])
      .toArray();
    check('$group with $sum', grouped[0]?.total === 33, grouped);

    const del = await coll.deleteMany({ userId: 'u1' });
    check('delete', del.deletedCount === 3, del);
    await coll.deleteMany({});
  } finally {
    await db.dropDatabase().catch(() => undefined);
    await client.close();
  }
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});

import { describe, expect, it } from 'vitest';
import { applyProjection } from '../../../sync/server/projection.js';
import {
  assertNoForbiddenOperators,
  ownedInsert,
  ownedUpdate,
  scopeFilter,
} from '../../../sync/server/rules.js';

const me = 'u1';

describe('scopeFilter', () => {
  it('adds the owner as a top-level equality so upserts create the document for the caller', () => {
    expect(scopeFilter({ a: 1 }, 'userId', me)).toEqual({ a: 1, userId: me });
  });
  it('keeps a filter that already names the caller', () => {
    expect(scopeFilter({ userId: me }, 'userId', me)).toEqual({ userId: me });
  });
  it("refuses a filter naming another user's id", () => {
    expect(() => scopeFilter({ userId: 'u2' }, 'userId', me)).toThrow(/their own id/);
  });
  it('ANDs an operator condition on the field with the owner', () => {
    expect(scopeFilter({ userId: { $in: [me, 'u2'] } }, 'userId', me)).toEqual({
      userId: me,
      $and: [{ userId: { $in: [me, 'u2'] } }],
    });
  });
});

describe('ownedUpdate / ownedInsert', () => {
  it('allows operators on other fields and setting the owner to the caller', () => {
    const update = { $set: { a: 1, userId: me }, $inc: { n: 1 } };
    expect(ownedUpdate(update, 'userId', me)).toBe(update);
  });
  it.each([
    [{ $set: { userId: 'u2' } }],
    [{ $unset: { userId: '' } }],
    [{ $rename: { userId: 'x' } }],
    [{ $rename: { x: 'userId' } }],
    [{ $set: { 'userId.x': 1 } }],
  ])('refuses %j', (update) => {
    expect(() => ownedUpdate(update, 'userId', me)).toThrow();
  });
  it('gives a replacement the owner, and refuses one for another id', () => {
    expect(ownedUpdate({ a: 1 }, 'userId', me)).toEqual({ a: 1, userId: me });
    expect(() => ownedUpdate({ a: 1, userId: 'u2' }, 'userId', me)).toThrow();
    expect(() => ownedInsert({ userId: 'u2' }, 'userId', me)).toThrow();
  });
});

describe('assertNoForbiddenOperators', () => {
  it('finds $where and $function however deep', () => {
    expect(() => assertNoForbiddenOperators({ $or: [{ a: 1 }, { $where: 'x' }] }, 'filter')).toThrow(
      /\$where/,
    );
    expect(() => assertNoForbiddenOperators({ $expr: { $eq: [{ $function: {} }, 1] } }, 'filter')).toThrow(
      /\$function/,
    );
    expect(() => assertNoForbiddenOperators({ a: { $gt: 1 } }, 'filter')).not.toThrow();
  });
});

describe('applyProjection', () => {
  const doc = { _id: 1, name: 'a', nested: { x: 1, y: 2 }, other: true };
  it('includes fields (and _id unless excluded)', () => {
    expect(applyProjection(doc, { name: 1 })).toEqual({ _id: 1, name: 'a' });
    expect(applyProjection(doc, { name: 1, _id: 0 })).toEqual({ name: 'a' });
    expect(applyProjection(doc, { 'nested.y': 1 })).toEqual({ _id: 1, nested: { y: 2 } });
  });
  it('excludes fields without touching the original', () => {
    expect(applyProjection(doc, { nested: 0, other: 0 })).toEqual({ _id: 1, name: 'a' });
    expect(applyProjection(doc, { 'nested.x': 0 })).toEqual({
      _id: 1,
      name: 'a',
      nested: { y: 2 },
      other: true,
    });
    expect(doc.nested).toEqual({ x: 1, y: 2 });
  });
});

import { describe, expect, it } from 'vitest';
import { assertRequestLevel, evaluate } from '../../../sync/server/role-expressions.js';

const ada = { id: 'u1', type: 'normal', customData: { isAdmin: true, team: 'blue', tags: ['a'] } };
const bob = { id: 'u2', type: 'normal', customData: { team: 'red' } };

describe('apply_when about the requesting user', () => {
  it('compares the user id, type and custom data, with %in, %nin, %exists, %eq, %ne', () => {
    const cases: Array<[Record<string, unknown>, boolean, boolean]> = [
      [{ '%%user.custom_data.isAdmin': true }, true, false],
      [{ '%%user.id': 'u2' }, false, true],
      [{ '%%user.type': 'normal' }, true, true],
      [{ '%%user.custom_data.team': { '%in': ['blue', 'green'] } }, true, false],
      [{ '%%user.custom_data.team': { '%nin': ['blue'] } }, false, true],
      [{ '%%user.custom_data.isAdmin': { '%exists': false } }, false, true],
      [{ '%%user.custom_data.team': { '%ne': 'red' } }, true, false],
      [{ '%or': [{ '%%user.id': 'u2' }, { '%%user.custom_data.isAdmin': true }] }, true, true],
      [{ '%not': { '%%user.custom_data.isAdmin': true } }, false, true],
      [{ '%%true': true }, true, true],
    ];
    for (const [expression, forAda, forBob] of cases) {
      assertRequestLevel(expression);
      expect({ expression, ada: evaluate(expression, ada), bob: evaluate(expression, bob) }).toEqual({
        expression,
        ada: forAda,
        bob: forBob,
      });
    }
  });

  it('refuses what depends on the document or on data rules cannot see, naming it', () => {
    expect(() => assertRequestLevel({ owner: '%%user.id' })).toThrow(
      /"owner" is not about the requesting user/,
    );
    expect(() => assertRequestLevel({ '%%root.owner': '%%user.id' })).toThrow(/%%root.owner/);
    expect(() => assertRequestLevel({ '%%user.data.email': 'x' })).toThrow(/%%user.data.email/);
    expect(() => assertRequestLevel({ '%%user.id': { '%function': { name: 'f' } } })).toThrow(/%function/);
  });
});

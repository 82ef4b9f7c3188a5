/** The one editable-path rule, as the engine and the server both ask it. */
import { describe, expect, it } from 'vitest';
import { SYNC_BOOKKEEPING_FIELD, uneditablePathReason } from '../../../sync/protocol/index.js';

describe('uneditablePathReason', () => {
  it('refuses the identity, the owner field and the bookkeeping, with their sub-fields', () => {
    for (const path of [
      '_id',
      '_id.x',
      'userId',
      'userId.a',
      SYNC_BOOKKEEPING_FIELD,
      `${SYNC_BOOKKEEPING_FIELD}.d1`,
    ])
      expect(uneditablePathReason(path, 'userId')).toMatch(/cannot be edited/);
  });

  it('refuses names MongoDB reads as operators or refuses', () => {
    for (const path of ['', '$set', 'a\0b'])
      expect(uneditablePathReason(path, 'userId')).toMatch(/cannot be edited/);
  });

  it('lets ordinary fields through; the owner field only the server knows (the client asks without it)', () => {
    for (const path of ['favoriteColor', 'prefs.theme', 'user', 'userIdentity'])
      expect(uneditablePathReason(path, 'userId')).toBeUndefined();
    expect(uneditablePathReason('userId')).toBeUndefined();
    expect(uneditablePathReason('_id')).toMatch(/cannot be edited/);
  });
});

/**
 * An App Services user list (the Admin API's `GET /users`) written to the app database keeping
 * every id, so custom data documents keyed by those ids are their users' again. Idempotent:
 * importing twice changes nothing. Password hashes cannot be exported: e-mail/password accounts
 * must reset their password before their first login (then they log in with their old id).
 */
import { type Db, ObjectId } from 'mongodb';
import { z } from 'zod';
import { firstIssueText } from '../../protocol/index.js';
import type { CredentialDoc, ExternalIdentityDoc, IdentityDoc, UserDoc } from '../auth/store.js';
import { ImportStopped } from './read-export.js';

const userSchema = z
  .object({
    _id: z.string().regex(/^[0-9a-f]{24}$/, 'must be a 24-hex user id'),
    identities: z
      .array(
        z
          .object({ id: z.string().min(1), provider_type: z.string(), provider_id: z.string().optional() })
          .loose(),
      )
      .default([]),
    type: z.enum(['normal', 'server']).default('normal'),
    disabled: z.boolean().default(false),
    data: z.record(z.string(), z.unknown()).default({}),
    creation_date: z.number().optional(),
    last_authentication_date: z.number().optional(),
  })
  .loose();

export interface UsersReport {
  imported: number;
  alreadyThere: number;
  passwordResetRequired: number;
  /** Not carried over, with why. */
  skipped: Array<{ reason: string; count: number }>;
}

const DOMAIN_ID = '000000000000000000000001';

/** `providerNames`: provider type → the provider's name in this app (custom JWT, custom function). */
export async function importUsers(
  list: unknown,
  db: Db,
  providerNames: Record<string, string>,
  now: () => number = Date.now,
): Promise<UsersReport> {
  const parsed = z.array(userSchema).safeParse(list);
  if (!parsed.success) {
    throw new ImportStopped('--users', firstIssueText(parsed.error));
  }
  const report: UsersReport = { imported: 0, alreadyThere: 0, passwordResetRequired: 0, skipped: [] };
  const skipped = new Map<string, number>();
  const skip = (reason: string) => skipped.set(reason, (skipped.get(reason) ?? 0) + 1);
  const users = db.collection<UserDoc>('users');
  const credentials = db.collection<CredentialDoc>('credentials');
  const external = db.collection<ExternalIdentityDoc>('external_identities');

  for (const user of parsed.data) {
    const identities = user.identities.filter((identity) => {
      if (identity.provider_type === 'anon-user') return false;
      if (identity.provider_type === 'api-key') return false;
      return ['local-userpass', 'custom-token', 'custom-function'].includes(identity.provider_type);
    });
    if (identities.length === 0) {
      const types = user.identities.map((i) => i.provider_type);
      skip(
        types.includes('anon-user')
          ? 'anonymous users (they cannot log in again anywhere)'
          : types.includes('api-key')
            ? 'API-key users (keys cannot be exported: make new ones)'
            : `users of unsupported providers (${types.join(', ') || 'none'})`,
      );
      continue;
    }
    const created = new Date(user.creation_date ? user.creation_date * 1000 : now());
    const doc: UserDoc = {
      _id: new ObjectId(user._id),
      type: user.type,
      identities: identities.map(
        (identity): IdentityDoc => ({
          id: identity.id,
          provider_type: identity.provider_type as IdentityDoc['provider_type'],
          provider_id: identity.provider_id ?? DOMAIN_ID,
          ...(identity.provider_type === 'local-userpass' && typeof user.data.email === 'string'
            ? { provider_data: { email: String(user.data.email).toLowerCase() } }
            : {}),
        }),
      ),
      data: user.data,
      createdAt: created,
      ...(user.disabled ? { disabled: true } : {}),
    };
    const result = await users.updateOne({ _id: doc._id }, { $setOnInsert: doc }, { upsert: true });
    if (result.upsertedCount === 1) report.imported += 1;
    else report.alreadyThere += 1;

    for (const identity of doc.identities) {
      if (identity.provider_type === 'local-userpass') {
        const email = String(user.data.email ?? '').toLowerCase();
        if (!email) continue;
        const credential: CredentialDoc = {
          _id: email,
          passwordHash: '',
          identityId: identity.id,
          userId: user._id,
          mustResetPassword: true,
          createdAt: created,
        };
        const written = await credentials.updateOne(
          { _id: email },
          { $setOnInsert: credential },
          { upsert: true },
        );
        if (written.upsertedCount === 1) report.passwordResetRequired += 1;
      } else {
        const name = providerNames[identity.provider_type] ?? identity.provider_type;
        await external.updateOne(
          { _id: `${name}:${identity.id}` },
          { $setOnInsert: { _id: `${name}:${identity.id}`, userId: user._id, createdAt: created } },
          { upsert: true },
        );
      }
    }
  }
  report.skipped = [...skipped].map(([reason, count]) => ({ reason, count }));
  return report;
}

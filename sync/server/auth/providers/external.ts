/** Identities from outside (custom JWT `sub`, custom function id), owned through `external_identities`. */
import { AppError, ErrorCode, Messages } from '../../../protocol/index.js';
import type { IdentityDoc, Store } from '../store.js';
import type { ProvenIdentity } from '../users.js';

export function externalIdentity(
  store: Store,
  providerName: string,
  identity: IdentityDoc,
  data: Record<string, unknown>,
): ProvenIdentity {
  const _id = `${providerName}:${identity.id}`;
  return {
    identity,
    data,
    owner: async () => (await store.externalIdentities.findOne({ _id }))?.userId ?? null,
    claim: async (userId) => {
      try {
        await store.externalIdentities.insertOne({ _id, userId, createdAt: new Date() });
        return true;
      } catch (error) {
        if ((error as { code?: number }).code === 11000) return false;
        throw error;
      }
    },
  };
}

/**
 * A refused login through an external provider: 401 AuthError saying what App Services said
 * ("unauthorized"), with the reason for the server's log (never the token or payload).
 */
export class RefusedLogin extends AppError {
  constructor(
    readonly reason: string,
    shown: string = Messages.unauthorized,
  ) {
    super(401, ErrorCode.AuthError, shown);
  }
}

export function loginRefused(reason: string, shown?: string): RefusedLogin {
  return new RefusedLogin(reason, shown);
}

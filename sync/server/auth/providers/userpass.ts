/**
 * E-mail/password (`local-userpass`): accounts, confirmation and password reset, by e-mail or by
 * the app's function, as App Services did. Confirmation and reset tokens are single use, expire
 * after 30 minutes and are stored as SHA-256 hashes; mails and function calls are throttled per
 * address and per account in MongoDB, so every instance shares the count.
 */
import { createHash, randomBytes } from 'node:crypto';
import { type Collection, ObjectId } from 'mongodb';
import { AppError, ErrorCode, Messages } from '../../../protocol/index.js';
import type { LoginThrottle } from '../login-throttle.js';
import { DUMMY_HASH, hashPassword, verifyPassword } from '../passwords.js';
import type { CredentialDoc, Store } from '../store.js';
import { DOMAIN_ID, type ProvenIdentity } from '../users.js';
import type { UserpassConfig } from './provider-config.js';
import { assertPlainEmail, normaliseEmail, type ProviderServices } from './shared.js';

/** App Services' lifetime of confirmation and reset tokens. */
export const USERPASS_TOKEN_TTL_MS = 30 * 60 * 1000;

interface TokenDoc {
  /** The token id (`tokenId` in links and calls). */
  _id: string;
  kind: 'confirm' | 'reset';
  email: string;
  /** SHA-256 of the token; the token itself is only in the mail or the function's arguments. */
  hash: string;
  expiresAt: Date;
  /** A reset a function left pending: the password it was asked to set. */
  passwordHash?: string;
}

type FunctionStatus = 'success' | 'pending' | 'fail';

export class UserpassProvider {
  private readonly tokens: Collection<TokenDoc>;

  constructor(
    private readonly config: UserpassConfig,
    private readonly store: Store,
    private readonly throttle: LoginThrottle,
    private readonly services: ProviderServices,
  ) {
    this.tokens = store.db.collection('userpass_tokens');
  }

  async register(email: string, password: string, address: string): Promise<void> {
    assertPlainEmail(email);
    const id = normaliseEmail(email);
    const doc: CredentialDoc = {
      _id: id,
      passwordHash: await hashPassword(password),
      identityId: new ObjectId().toHexString(),
      userId: null,
      createdAt: new Date(this.services.now()),
      ...(this.config.autoConfirm ? {} : { confirmed: false }),
    };
    // An email whose user was deleted may be registered again.
    const replaced = await this.store.credentials.replaceOne({ _id: id, userDeleted: true }, doc);
    if (replaced.matchedCount !== 1) {
      try {
        await this.store.credentials.insertOne(doc);
      } catch (error) {
        if ((error as { code?: number }).code === 11000)
          throw new AppError(409, ErrorCode.AccountNameInUse, Messages.nameInUse);
        throw error;
      }
    }
    if (!this.config.autoConfirm) await this.startConfirmation(id, address);
  }

  /** Checks the password (throttled); an unconfirmed account is refused as App Services did. */
  async prove(email: string, password: string, address: string): Promise<ProvenIdentity> {
    const id = normaliseEmail(email);
    const wait = await this.throttle.retryAfterMs(id, address);
    if (wait > 0)
      throw new AppError(
        429,
        ErrorCode.TooManyRequests,
        `too many failed logins; try again in ${Math.ceil(wait / 1000)} s`,
      );
    const credential = await this.store.credentials.findOne({ _id: id });
    if (credential?.mustResetPassword && !credential.userDeleted)
      throw new AppError(
        401,
        ErrorCode.PasswordResetRequired,
        'this account was moved from App Services without its password: reset the password to log in',
      );
    const ok = await verifyPassword(password, credential?.passwordHash ?? DUMMY_HASH);
    if (!credential || !ok) {
      await this.throttle.recordFailure(id, address);
      throw new AppError(401, ErrorCode.InvalidPassword, Messages.unauthorized);
    }
    // As on Atlas: the credentials of a deleted user are refused with "unauthorized".
    if (credential.userDeleted) throw new AppError(401, ErrorCode.InvalidPassword, Messages.unauthorized);
    if (credential.confirmed === false) throw new AppError(401, ErrorCode.AuthError, Messages.unauthorized);
    await this.throttle.recordSuccess(id);
    const credentials = this.store.credentials;
    return {
      identity: {
        id: credential.identityId,
        provider_type: 'local-userpass',
        provider_id: DOMAIN_ID,
        provider_data: { email: credential._id },
      },
      data: { email: credential._id },
      owner: async () => (await credentials.findOne({ _id: id }))?.userId ?? null,
      claim: async (userId) =>
        (await credentials.updateOne({ _id: id, userId: null }, { $set: { userId } })).modifiedCount === 1,
    };
  }

  async confirm(token: string, tokenId: string): Promise<void> {
    const used = await this.takeToken('confirm', token, tokenId);
    const done = await this.store.credentials.updateOne({ _id: used.email }, { $set: { confirmed: true } });
    if (done.matchedCount !== 1) throw new AppError(404, ErrorCode.UserNotFound, Messages.userNotFound);
  }

  async resendConfirmation(email: string, address: string): Promise<void> {
    const credential = await this.pendingAccount(email);
    if (this.config.runConfirmationFunction)
      throw new AppError(400, ErrorCode.BadRequest, 'please use confirm via function');
    await this.startConfirmation(credential._id, address);
  }

  async retryConfirmation(email: string, address: string): Promise<void> {
    if (this.config.autoConfirm)
      throw new AppError(
        400,
        ErrorCode.BadRequest,
        `cannot run confirmation for ${normaliseEmail(email)}: automatic confirmation is enabled`,
      );
    const credential = await this.pendingAccount(email);
    if (!this.config.runConfirmationFunction)
      throw new AppError(
        400,
        ErrorCode.BadRequest,
        `cannot run confirmation for ${credential._id}: custom confirmation function is disabled`,
      );
    await this.startConfirmation(credential._id, address);
  }

  async sendReset(email: string, address: string): Promise<void> {
    if (this.config.runResetFunction || !this.config.resetPasswordUrl)
      throw new AppError(400, ErrorCode.BadRequest, 'please use reset password via function');
    const id = normaliseEmail(email);
    await this.services.hitMailLimits(id, address);
    // Unknown addresses are refused as App Services did; no mail leaves then.
    if (!(await this.store.credentials.findOne({ _id: id, userDeleted: { $ne: true } })))
      throw new AppError(404, ErrorCode.UserNotFound, Messages.userNotFound);
    const { token, tokenId } = await this.newToken('reset', id);
    await this.services.sendMail(id, this.config.resetPasswordSubject, this.config.resetPasswordUrl, {
      token,
      tokenId,
    });
  }

  async reset(token: string, tokenId: string, password: string): Promise<void> {
    const used = await this.takeToken('reset', token, tokenId);
    // A token from the mail also proves the address; one a reset function left pending does not.
    const byMail = used.passwordHash === undefined;
    await this.setPassword(used.email, used.passwordHash ?? (await hashPassword(password)), byMail);
  }

  async callReset(email: string, password: string, args: unknown[], address: string): Promise<void> {
    const id = normaliseEmail(email);
    if (!this.config.runResetFunction || !this.config.resetFunctionName)
      throw new AppError(400, ErrorCode.BadRequest, `failed to reset password for user "${id}"`);
    await this.services.hitMailLimits(id, address);
    const credential = await this.store.credentials.findOne({ _id: id, userDeleted: { $ne: true } });
    if (!credential) throw new AppError(404, ErrorCode.UserNotFound, Messages.userNotFound);
    const currentPasswordValid = await verifyPassword(password, credential.passwordHash);
    const passwordHash = await hashPassword(password);
    const { token, tokenId } = await this.newToken('reset', id, passwordHash);
    const status = await this.runFunction(this.config.resetFunctionName, [
      { token, tokenId, username: id, password, currentPasswordValid },
      ...args,
    ]);
    if (status === 'success') {
      await this.tokens.deleteOne({ _id: tokenId });
      await this.setPassword(id, passwordHash, false);
    } else if (status === 'fail') {
      await this.tokens.deleteOne({ _id: tokenId });
      throw new AppError(400, ErrorCode.BadRequest, `failed to reset password for user "${id}"`);
    }
    // pending: the app calls resetPassword(token, tokenId, password) once it has checked the user.
  }

  private async startConfirmation(email: string, address: string): Promise<void> {
    await this.services.hitMailLimits(email, address);
    const { token, tokenId } = await this.newToken('confirm', email);
    if (!this.config.runConfirmationFunction) {
      await this.services.sendMail(
        email,
        this.config.confirmEmailSubject,
        this.config.emailConfirmationUrl ?? '',
        {
          token,
          tokenId,
        },
      );
      return;
    }
    const status = await this.runFunction(this.config.confirmationFunctionName ?? '', [
      { token, tokenId, username: email },
    ]);
    if (status === 'success') {
      await this.tokens.deleteOne({ _id: tokenId });
      await this.store.credentials.updateOne({ _id: email }, { $set: { confirmed: true } });
    } else if (status === 'fail') {
      await this.tokens.deleteOne({ _id: tokenId });
      // The account was never confirmed: it goes, so the address can register again.
      await this.store.credentials.deleteOne({ _id: email, confirmed: false });
      throw new AppError(400, ErrorCode.BadRequest, `failed to confirm user "${email}"`);
    }
  }

  private async pendingAccount(email: string): Promise<CredentialDoc> {
    const credential = await this.store.credentials.findOne({
      _id: normaliseEmail(email),
      userDeleted: { $ne: true },
    });
    if (!credential) throw new AppError(404, ErrorCode.UserNotFound, Messages.userNotFound);
    if (credential.confirmed !== false)
      throw new AppError(409, ErrorCode.UserAlreadyConfirmed, Messages.alreadyConfirmed);
    return credential;
  }

  private async runFunction(name: string, args: unknown[]): Promise<FunctionStatus> {
    const result = (await this.services.runFunction(name, args)) as { status?: unknown } | null;
    const status = result?.status;
    if (status === 'success' || status === 'pending' || status === 'fail') return status;
    throw new AppError(
      400,
      ErrorCode.FunctionExecutionError,
      `function '${name}' must return { status: 'success' | 'pending' | 'fail' }`,
    );
  }

  private async newToken(kind: TokenDoc['kind'], email: string, passwordHash?: string) {
    const token = randomBytes(64).toString('hex');
    const tokenId = new ObjectId().toHexString();
    await this.tokens.insertOne({
      _id: tokenId,
      kind,
      email,
      hash: sha256(token),
      expiresAt: new Date(this.services.now() + USERPASS_TOKEN_TTL_MS),
      ...(passwordHash ? { passwordHash } : {}),
    });
    return { token, tokenId };
  }

  /** Takes the token away as it is checked: a second use finds nothing. */
  private async takeToken(kind: TokenDoc['kind'], token: string, tokenId: string): Promise<TokenDoc> {
    if (!/^[0-9a-f]{128}$/.test(token) || !/^[0-9a-f]{24}$/.test(tokenId))
      throw new AppError(400, ErrorCode.BadRequest, Messages.invalidTokenData);
    const doc = await this.tokens.findOneAndDelete({ _id: tokenId, kind, hash: sha256(token) });
    if (!doc || doc.expiresAt.getTime() <= this.services.now())
      throw new AppError(400, ErrorCode.UserpassTokenInvalid, Messages.tokenExpiredOrInvalid);
    return doc;
  }

  private async setPassword(email: string, passwordHash: string, confirms: boolean): Promise<void> {
    const set = confirms ? { passwordHash, confirmed: true } : { passwordHash };
    await this.store.credentials.updateOne({ _id: email }, { $set: set, $unset: { mustResetPassword: '' } });
    await this.throttle.recordSuccess(email);
  }
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

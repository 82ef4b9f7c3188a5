/**
 * Refusal budget, one entry point: how much of one user's `POST functions/call` traffic may be
 * refused per minute — 400, 403, 404 (rules, malformed calls) count one each; what the request
 * limits refuse (400 RequestLimitExceeded: catastrophic regex, nesting, huge `$in` or pipeline;
 * 413: body over the limit), which no well-behaved client sends, counts half the budget: the
 * second such refusal in a minute uses it up.
 * The count is kept per minute in MongoDB (tally.ts), so every instance counts the same minute.
 * Past the budget the user's calls are answered 429 TooManyRequests from this instance's memory
 * until the minute is over: after the token's signature check, before the body is read and
 * before any database work; the answer is held up to `holdMs` (a client sending back to back
 * then sends about one request a second) and the connection closed, so a body sent anyway is
 * never read. Another instance blocks the user at its own first refusal of them past the budget
 * (docs/security.md "Refused requests").
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type AccessTokenClaims, AppError, ErrorCode } from '../../protocol/index.js';
import { RefusalTally } from './tally.js';

/** Statuses that count: the request was refused for what it asked (not 401, 429 or 5xx). */
const REFUSED = new Set([400, 403, 404, 413]);
/** Answers held at once at most; past it, 429 is answered at once. */
const MAX_HELD = 1_000;

export interface RefusalBudgetDeps {
  /** Refusals a user may have per minute before the rest of the minute is 429 (0: no limit). */
  perUserPerMinute: number;
  /** How long a 429 is held before it is sent (never past the end of the block). */
  holdMs: number;
  verifyAccess(token: string): Promise<AccessTokenClaims>;
  bearer(request: FastifyRequest): string | undefined;
  now: () => number;
  logger: { warn(o: object, m?: string): void };
}

export class RefusalBudget {
  private readonly tally: RefusalTally;
  private readonly claimsOf = new WeakMap<FastifyRequest, AccessTokenClaims>();
  /** Requests the request limits refused (they weigh more). */
  private readonly overLimits = new WeakSet<FastifyRequest>();
  private held = 0;

  constructor(
    db: ConstructorParameters<typeof RefusalTally>[0],
    private readonly deps: RefusalBudgetDeps,
  ) {
    this.tally = new RefusalTally(db, deps.perUserPerMinute, deps.now);
  }

  ensureIndexes(): Promise<void> {
    return this.tally.ensureIndexes();
  }

  /** The route hooks of `POST functions/call`. */
  get hooks() {
    return { onRequest: this.onRequest, onError: this.onError, onResponse: this.onResponse };
  }

  /** The caller's verified claims, when `onRequest` found a valid access token. */
  claims(request: FastifyRequest): AccessTokenClaims | undefined {
    return this.claimsOf.get(request);
  }

  /** Route hook: verifies the token once (the handler reuses it); a blocked user gets 429. */
  readonly onRequest = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (this.deps.perUserPerMinute <= 0) return;
    const token = this.deps.bearer(request);
    if (!token) return;
    // An invalid token is the handler's 401 (it verifies again); it counts for nobody.
    const claims = await this.deps.verifyAccess(token).catch(() => undefined);
    if (!claims) return;
    this.claimsOf.set(request, claims);
    const blockedMs = this.tally.blockedFor(claims.sub);
    if (blockedMs <= 0) return;
    if (this.held < MAX_HELD) {
      this.held += 1;
      await new Promise((resolve) => setTimeout(resolve, Math.min(this.deps.holdMs, blockedMs))).finally(
        () => {
          this.held -= 1;
        },
      );
    }
    reply.header('connection', 'close');
    reply.header('retry-after', String(Math.ceil(blockedMs / 1000)));
    throw new AppError(
      429,
      ErrorCode.TooManyRequests,
      'too many refused requests from this user; try again in a minute',
    );
  };

  /** Route hook: notes a refusal by the request limits (it weighs half the budget). */
  readonly onError = async (request: FastifyRequest, _reply: FastifyReply, error: unknown): Promise<void> => {
    if (error instanceof AppError && error.code === ErrorCode.RequestLimitExceeded)
      this.overLimits.add(request);
  };

  /** Route hook, after the answer was sent: a refusal counts against the caller's minute. */
  readonly onResponse = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const claims = this.claimsOf.get(request);
    if (!claims || !REFUSED.has(reply.statusCode)) return;
    const heavy = reply.statusCode === 413 || this.overLimits.has(request);
    const weight = heavy ? Math.ceil(this.deps.perUserPerMinute / 2) : 1;
    try {
      await this.tally.add(claims.sub, weight);
    } catch (error) {
      this.deps.logger.warn({ err: { message: (error as Error).message } }, 'refusals not counted');
    }
  };
}

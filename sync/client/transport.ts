/**
 * HTTP calls to the backend (the App Services client API) with the injected fetch. Failures
 * are classified once here: a network failure (offline), or an HTTP error with its App
 * Services `error_code`, so the engine decides by kind, never by message text.
 */
import {
  type ErrorBody,
  type LoginResponse,
  loginResponseSchema,
  parseEJSONText,
  paths,
  refreshResponseSchema,
  toCanonicalEJSONText,
} from '../protocol/index.js';
import type { FetchLike } from './ports.js';

export class NetworkError extends Error {
  override name = 'NetworkError';
  /**
   * `notSent`: the request certainly never reached the server (simulated offline, or no
   * connection could be made: refused, no route, name not resolved). Otherwise it may have
   * arrived and only the answer was lost.
   */
  constructor(
    message: string,
    readonly notSent = false,
  ) {
    super(message);
  }
}

/** Errors of connecting (Node's and undici's codes): no byte of the request left the device. */
const NOT_CONNECTED = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'ENETDOWN',
]);

function connectErrorCode(error: unknown): string | undefined {
  const cause = (error as { cause?: { code?: unknown } } | null)?.cause;
  return typeof cause?.code === 'string' ? cause.code : undefined;
}

export class HttpError extends Error {
  override name = 'HttpError';
  constructor(
    readonly status: number,
    readonly code: string | undefined,
    message: string,
  ) {
    super(message);
  }

  /** The session is gone (refresh token unknown, revoked or expired). */
  get isInvalidSession(): boolean {
    return this.status === 401 && this.code === 'InvalidSession';
  }
}

export class Transport {
  /** While true every call fails as if the network were down (tester tool "go offline"). */
  forcedOffline = false;
  /** Told the server's time from each response's `Date` header. */
  onServerTime: ((serverMs: number) => void) | undefined;

  constructor(
    private readonly baseUrl: string,
    private readonly appId: string,
    private readonly fetchImpl: FetchLike,
    private readonly timeoutMs = 15_000,
  ) {}

  async probe(): Promise<void> {
    await this.request('GET', paths.location(this.appId));
  }

  async register(email: string, password: string): Promise<void> {
    await this.request('POST', paths.register(this.appId), { body: { email, password } });
  }

  async login(
    provider: 'local-userpass' | 'anon-user',
    body: Record<string, unknown>,
  ): Promise<LoginResponse> {
    return loginResponseSchema.parse(
      await this.request('POST', paths.providerLogin(this.appId, provider), {
        body: { ...body, options: { device: { sdkVersion: 'customdata-desk' } } },
      }),
    );
  }

  /** Adds an e-mail/password identity to the user of `accessToken` (`login?link=true`): same user id. */
  async link(accessToken: string, body: { username: string; password: string }): Promise<LoginResponse> {
    return loginResponseSchema.parse(
      await this.request('POST', `${paths.providerLogin(this.appId, 'local-userpass')}?link=true`, {
        token: accessToken,
        body,
      }),
    );
  }

  async sendPasswordReset(email: string): Promise<void> {
    await this.request('POST', paths.resetSend(this.appId), { body: { email } });
  }

  async resetPassword(token: string, tokenId: string, password: string): Promise<void> {
    await this.request('POST', paths.reset(this.appId), { body: { token, tokenId, password } });
  }

  async refresh(refreshToken: string): Promise<string> {
    return refreshResponseSchema.parse(await this.request('POST', paths.session, { token: refreshToken }))
      .access_token;
  }

  async logout(refreshToken: string): Promise<void> {
    await this.request('DELETE', paths.session, { token: refreshToken });
  }

  async callFunction(accessToken: string, name: string, args: unknown[]): Promise<unknown> {
    return this.request('POST', paths.functionsCall(this.appId), {
      token: accessToken,
      body: { name, arguments: args },
    });
  }

  private async request(
    method: string,
    path: string,
    options: { token?: string; body?: unknown } = {},
  ): Promise<unknown> {
    if (this.forcedOffline) throw new NetworkError('offline (simulated)', true);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let body: string | undefined;
    if (options.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = toCanonicalEJSONText(options.body);
    }
    let response: Response;
    try {
      response = await this.fetchImpl(`${this.baseUrl}${path}`, {
        method,
        headers,
        body,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      const code = connectErrorCode(error);
      const message = (error as Error).message || 'network error';
      throw new NetworkError(
        code ? `${message} (${code})` : message,
        code !== undefined && NOT_CONNECTED.has(code),
      );
    }
    const date = Date.parse(response.headers.get('date') ?? '');
    if (!Number.isNaN(date)) this.onServerTime?.(date);
    let text: string;
    try {
      text = await response.text();
    } catch (error) {
      // Cut after the status line: the answer is lost (a batch is re-sent under its seq), never "empty".
      throw new NetworkError(`the answer was cut: ${(error as Error).message || 'connection reset'}`);
    }
    const isJson = response.headers.get('content-type')?.startsWith('application/json') ?? false;
    if (!response.ok) {
      let parsed: Partial<ErrorBody> = {};
      if (isJson) {
        try {
          parsed = JSON.parse(text) as Partial<ErrorBody>;
        } catch {
          // keep the status only
        }
      }
      // 5xx from a proxy or a restarting server counts as "not reachable right now".
      if (response.status >= 502 && response.status <= 504)
        throw new NetworkError(`server unavailable (${response.status})`);
      throw new HttpError(response.status, parsed.error_code, parsed.error ?? `HTTP ${response.status}`);
    }
    if (!isJson || text === '') return null;
    return parseEJSONText(text);
  }
}

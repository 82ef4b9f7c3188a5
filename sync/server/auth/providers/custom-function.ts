/**
 * Custom function (`custom-function`): the app's `authFunctionName` gets the login payload and
 * returns the user's external id (a string, or `{ id, name? }`). What it throws refuses the
 * login; its message goes to the client only, never to the logs (it may quote the payload).
 */
import { AppError, ErrorCode } from '../../../protocol/index.js';
import type { Store } from '../store.js';
import { DOMAIN_ID, type ProvenIdentity } from '../users.js';
import { externalIdentity, loginRefused } from './external.js';
import type { ProviderEntry } from './provider-config.js';
import type { ProviderServices } from './shared.js';

export class CustomFunctionProvider {
  constructor(
    private readonly entry: ProviderEntry,
    private readonly functionName: string,
    private readonly store: Store,
    private readonly services: ProviderServices,
  ) {}

  async prove(payload: Record<string, unknown>): Promise<ProvenIdentity> {
    let result: unknown;
    try {
      result = await this.services.runFunction(this.functionName, [payload]);
    } catch (error) {
      // A database outage stays transient (503); the function's own verdict refuses the login.
      if (error instanceof AppError && error.status >= 500) throw error;
      // As App Services showed it; the log gets no more than that the function refused.
      const message = (error as Error)?.message ?? String(error);
      throw loginRefused('the auth function threw', `error executing auth function: Error: ${message}`);
    }
    const { id, name } = externalId(result);
    if (id === undefined)
      throw new AppError(
        400,
        ErrorCode.FunctionExecutionError,
        `function '${this.functionName}' must return the user's id (a string or { id })`,
      );
    return externalIdentity(
      this.store,
      this.entry.name,
      { id, provider_type: 'custom-function', provider_id: DOMAIN_ID },
      name === undefined ? {} : { name },
    );
  }
}

function externalId(result: unknown): { id?: string; name?: string } {
  if (typeof result === 'string' && result.length > 0) return { id: result };
  if (result !== null && typeof result === 'object') {
    const { id, name } = result as { id?: unknown; name?: unknown };
    if (typeof id === 'string' && id.length > 0)
      return { id, name: typeof name === 'string' ? name : undefined };
  }
  return {};
}

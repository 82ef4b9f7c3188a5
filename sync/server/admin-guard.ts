/**
 * The admin API is a remote control over every user's data: browsers must never reach it
 * from another site. No CORS on its routes (unless an origin is explicitly allowed), any
 * request carrying a foreign `Origin` is refused, and weak keys are refused at startup.
 */
import { ADMIN_PREFIX, AppError, ErrorCode } from '../protocol/index.js';

export const MIN_ADMIN_KEY_LENGTH = 32;
const MIN_DISTINCT_CHARACTERS = 12;
/** Words of sample keys people copy from docs and never change. */
const PLACEHOLDER = /change-?me|example|placeholder|secret|password|demo|test-admin/i;

export function isAdminPath(url: string): boolean {
  const path = url.split('?')[0] ?? '';
  return path === ADMIN_PREFIX || path.startsWith(`${ADMIN_PREFIX}/`);
}

/** Why a key is too weak to guard the admin API, or undefined when it is acceptable. */
export function adminKeyWeakness(key: string): string | undefined {
  if (key.length < MIN_ADMIN_KEY_LENGTH)
    return `ADMIN_KEY must be at least ${MIN_ADMIN_KEY_LENGTH} characters (e.g. \`openssl rand -base64 32\`)`;
  if (new Set(key).size < MIN_DISTINCT_CHARACTERS)
    return `ADMIN_KEY must use at least ${MIN_DISTINCT_CHARACTERS} different characters`;
  if (PLACEHOLDER.test(key)) return 'ADMIN_KEY looks like a sample value; generate a random one';
  return undefined;
}

/**
 * Browsers always send `Origin` on cross-origin requests (and on same-origin non-GET ones);
 * non-browser clients (curl, the app's own Node side) send none. So a request with an Origin
 * not on the allow-list is a web page trying to drive the admin API: refused.
 */
export function checkAdminOrigin(origin: string | undefined, allowed: readonly string[]): void {
  if (origin === undefined || allowed.includes(origin)) return;
  throw new AppError(
    403,
    ErrorCode.AdminKeyRequired,
    'the admin API does not accept requests from web pages (Origin not allowed)',
  );
}

/** URL paths of the App Services client API (prefix `/api/client/v2.0`), shared by server and client. */
export const API_PREFIX = '/api/client/v2.0';

export const paths = {
  location: (appId: string) => `${API_PREFIX}/app/${appId}/location`,
  providerLogin: (appId: string, provider: string) =>
    `${API_PREFIX}/app/${appId}/auth/providers/${provider}/login`,
  register: (appId: string) => `${API_PREFIX}/app/${appId}/auth/providers/local-userpass/register`,
  /** Mails a reset link (`<resetPasswordUrl>?token=…&tokenId=…`); then `reset` with the link's token. */
  resetSend: (appId: string) => `${API_PREFIX}/app/${appId}/auth/providers/local-userpass/reset/send`,
  reset: (appId: string) => `${API_PREFIX}/app/${appId}/auth/providers/local-userpass/reset`,
  functionsCall: (appId: string) => `${API_PREFIX}/app/${appId}/functions/call`,
  profile: `${API_PREFIX}/auth/profile`,
  session: `${API_PREFIX}/auth/session`,
  deleteUser: `${API_PREFIX}/auth/delete`,
} as const;

/** Our own admin / tester API; enabled only when the server has an ADMIN_KEY. */
export const ADMIN_PREFIX = '/admin/v1';
export const ADMIN_KEY_HEADER = 'x-admin-key';

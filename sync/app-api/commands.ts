/**
 * Command names and channel names of the UI ⇄ engine contract, without the schemas: the
 * sandboxed preload and the renderer import this, so zod stays out of their bundles.
 * `contract.ts` checks at compile time that this list and its schemas agree.
 */
export const COMMAND_NAMES = [
  'getState',
  'register',
  'logIn',
  'logOut',
  'requestPasswordReset',
  'resetPassword',
  'createAccount',
  'set',
  'unset',
  'refresh',
  'retryOutbox',
  'discardEdit',
  'dismissConflict',
  'setOffline',
  'expireAccessToken',
  'setClockSkew',
  'setTokenTtl',
  'revokeSession',
  'anotherWriter',
  'getTokenTtl',
  'reconnect',
  'resolveConflict',
] as const;

export const IPC_PREFIX = 'cdd:';
export const STATE_EVENT = `${IPC_PREFIX}state`;

/** Web mode: where the page finds the per-launch bridge secret, and how bridge requests carry it. */
export const BRIDGE_TOKEN_META = 'customdata-desk-bridge-token';
export const BRIDGE_TOKEN_HEADER = 'x-bridge-token';
export const BRIDGE_TOKEN_QUERY = 'token';

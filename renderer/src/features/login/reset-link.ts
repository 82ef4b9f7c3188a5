/**
 * The password reset mail links to `<resetPasswordUrl>?token=…&tokenId=…`. The user pastes that
 * link (or just its query) here; the server judges the token itself.
 */
export type ResetLink = { token: string; tokenId: string };

export const RESET_LINK_HELP = 'Paste the whole link from the e-mail: it contains "token=" and "tokenId=".';

/** The token and token id of a pasted reset link, or a sentence saying what is missing. */
export function parseResetLink(pasted: string): ResetLink | { error: string } {
  // Mail programs may wrap a long link or add angle brackets around it.
  const text = pasted.replace(/\s+/g, '').replace(/^<|>$/g, '');
  if (!text) return { error: RESET_LINK_HELP };
  const query = text.includes('?') ? text.slice(text.indexOf('?') + 1) : text;
  const params = new URLSearchParams(query.split('#')[0]);
  const token = params.get('token') ?? '';
  const tokenId = params.get('tokenId') ?? '';
  if (!token || !tokenId) return { error: `This is not the reset link. ${RESET_LINK_HELP}` };
  return { token, tokenId };
}

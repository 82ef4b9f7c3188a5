/**
 * The one zod-issue → text rule of every side (server routes, config, import, the UI bridge):
 * the first problem, as `label: path: message` (`find: query: …`, `set: path: …`).
 */
import type { z } from 'zod';

/** `whole` names the value when the problem is not inside it (no path). */
export function firstIssueText(error: z.ZodError, label?: string, whole = 'argument'): string {
  const issue = error.issues[0];
  const path = issue?.path.map(String).join('.') ?? '';
  const message = issue?.message ?? 'invalid';
  if (label) return `${label}: ${path || whole}: ${message}`;
  return path ? `${path}: ${message}` : message;
}

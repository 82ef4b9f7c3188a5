/**
 * App Services' `apply_when` expressions that depend only on the user making the request, so a
 * role is chosen once per request: `%%user.id`, `%%user.type`, `%%user.custom_data.<path>`,
 * `%%true`, `%%false`, with `%and`, `%or`, `%not` and the value operators `%in`, `%nin`,
 * `%exists`, `%eq`, `%ne`. Anything else (a document field, `%%root`, `%%user.data`, `%function`)
 * is refused where the rule is read, never guessed.
 */
import { isDeepStrictEqual } from 'node:util';

export type RoleExpression = Record<string, unknown>;

/** The user a rule is evaluated for: id, type and custom data (from the access token). */
export interface RuleUser {
  id: string;
  type?: string;
  customData: Record<string, unknown>;
}

const VALUE_OPERATORS = new Set(['%in', '%nin', '%exists', '%eq', '%ne']);

/** Throws an Error naming the part of `expression` that is not request-level. */
export function assertRequestLevel(expression: unknown, where = 'apply_when'): void {
  if (expression === true || expression === false) return;
  if (expression === null || typeof expression !== 'object' || Array.isArray(expression))
    throw new Error(`${where}: ${JSON.stringify(expression)} is not an expression`);
  for (const [key, value] of Object.entries(expression as RoleExpression)) {
    if (key === '%%true' || key === '%%false') continue;
    if (key === '%and' || key === '%or') {
      if (!Array.isArray(value)) throw new Error(`${where}: ${key} takes a list`);
      for (const item of value) assertRequestLevel(item, where);
      continue;
    }
    if (key === '%not') {
      assertRequestLevel(value, where);
      continue;
    }
    if (!userPath(key))
      throw new Error(
        `${where}: "${key}" is not about the requesting user (only %%user.id, %%user.type, %%user.custom_data.*)`,
      );
    if (isOperatorObject(value))
      for (const op of Object.keys(value as object))
        if (!VALUE_OPERATORS.has(op)) throw new Error(`${where}: operator ${op} is not supported`);
  }
}

/** Whether the expression holds for `user` (an expression already checked by assertRequestLevel). */
export function evaluate(expression: unknown, user: RuleUser): boolean {
  if (expression === true || expression === false) return expression;
  return Object.entries(expression as RoleExpression).every(([key, value]) => {
    if (key === '%%true') return value === true;
    if (key === '%%false') return value === false;
    if (key === '%and') return (value as unknown[]).every((item) => evaluate(item, user));
    if (key === '%or') return (value as unknown[]).some((item) => evaluate(item, user));
    if (key === '%not') return !evaluate(value, user);
    const actual = valueAt(user, userPath(key) as string[]);
    if (!isOperatorObject(value)) return isDeepStrictEqual(actual, expand(value, user));
    return Object.entries(value as Record<string, unknown>).every(([op, operand]) => {
      const wanted = expand(operand, user);
      switch (op) {
        case '%in':
          return Array.isArray(wanted) && wanted.some((w) => isDeepStrictEqual(w, actual));
        case '%nin':
          return Array.isArray(wanted) && !wanted.some((w) => isDeepStrictEqual(w, actual));
        case '%exists':
          return (actual !== undefined) === Boolean(wanted);
        case '%eq':
          return isDeepStrictEqual(actual, wanted);
        case '%ne':
          return !isDeepStrictEqual(actual, wanted);
        default:
          return false;
      }
    });
  });
}

function userPath(key: string): string[] | undefined {
  if (key === '%%user.id') return ['id'];
  if (key === '%%user.type') return ['type'];
  if (key.startsWith('%%user.custom_data.'))
    return ['customData', ...key.slice('%%user.custom_data.'.length).split('.')];
  return undefined;
}

function valueAt(user: RuleUser, path: string[]): unknown {
  return path.reduce<unknown>(
    (node, key) =>
      node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined,
    user,
  );
}

/** A value may itself be an expansion of the user (e.g. `"%%user.id"`). */
function expand(value: unknown, user: RuleUser): unknown {
  if (typeof value === 'string' && userPath(value)) return valueAt(user, userPath(value) as string[]);
  if (Array.isArray(value)) return value.map((v) => expand(v, user));
  return value;
}

function isOperatorObject(value: unknown): boolean {
  return (
    value !== null &&
    typeof value === 'object' &&
    !Array.isArray(value) &&
    Object.keys(value).length > 0 &&
    Object.keys(value).every((k) => k.startsWith('%'))
  );
}

/**
 * App Services rules (`roles` with `apply_when`, `document_filters`, `read`/`write`/`insert`/
 * `delete`, `fields`, `additional_fields`; `filters`) translated into the backend's collection
 * rules. What cannot be expressed exactly stops the import with the rule's file and reason: a rule
 * we cannot enforce must never become one that opens more than App Services did.
 */
import { assertRequestLevel } from '../role-expressions.js';
import type { ConfiguredRule, FieldRules } from '../rules.js';

export class UnsupportedRule extends Error {
  override name = 'UnsupportedRule';
}

type Json = unknown;

/**
 * One rules.json (or default_rule.json) as a role or a list of roles; throws UnsupportedRule.
 * App Services took the first role whose `apply_when` held: roles chosen by who asks (their id,
 * type or custom data) are kept in order; a role that applies per document (`{"<field>":
 * "%%user.id"}`) can only be the last one here, since later roles would cover other documents.
 */
export function translateRules(rules: {
  roles?: Json[];
  filters?: Json[];
}): ConfiguredRule | ConfiguredRule[] {
  if (Array.isArray(rules.filters) && rules.filters.length > 0)
    throw new UnsupportedRule('query filters ("filters") cannot be expressed here');
  const roles = (Array.isArray(rules.roles) ? rules.roles : []) as Array<Record<string, Json>>;
  // No role: App Services denied every request.
  if (roles.length === 0) return { read: false, write: false, insert: false, delete: false };
  const out: ConfiguredRule[] = [];
  for (const [i, role] of roles.entries()) {
    const name = `role '${String(role.name ?? i)}'`;
    const when = requestLevel(role.apply_when);
    const translated = translateRole(role, when !== undefined);
    if (when !== undefined && when !== 'always') translated.when = when;
    out.push(translated);
    const last = i === roles.length - 1;
    // Later roles never applied after one that always does.
    if (when === 'always') break;
    if (when === undefined && !last)
      throw new UnsupportedRule(
        `${name}: applies per document, and ${roles.length - i - 1} role(s) follow it`,
      );
  }
  return out.length === 1 && out[0]?.when === undefined ? (out[0] as ConfiguredRule) : out;
}

/** `'always'`, an expression about the requesting user, or undefined (per document). */
function requestLevel(applyWhen: Json): 'always' | Record<string, unknown> | undefined {
  if (applyWhen === undefined || applyWhen === true) return 'always';
  if (applyWhen !== null && typeof applyWhen === 'object' && Object.keys(applyWhen).length === 0)
    return 'always';
  if (JSON.stringify(applyWhen) === JSON.stringify({ '%%true': true })) return 'always';
  try {
    assertRequestLevel(applyWhen);
    return applyWhen as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

function translateRole(role: Record<string, Json>, requestLevelWhen: boolean): ConfiguredRule {
  const name = `role '${String(role.name ?? '?')}'`;
  let ownerField = requestLevelWhen ? undefined : ownerOf(role.apply_when, `${name}: apply_when`, true);
  const filters = (role.document_filters ?? {}) as Record<string, Json>;
  if (filters === null || typeof filters !== 'object')
    throw new UnsupportedRule(`${name}: document_filters must be an object`);
  const readOwner = ownerOf(filters.read, `${name}: document_filters.read`, true);
  const writeOwner = ownerOf(filters.write, `${name}: document_filters.write`, true);
  if (filters.read === false && filters.write === false)
    return { read: false, write: false, insert: false, delete: false };
  for (const owner of [readOwner, writeOwner]) {
    if (owner === undefined) continue;
    if (ownerField !== undefined && owner !== ownerField)
      throw new UnsupportedRule(`${name}: different owner fields (${ownerField}, ${owner})`);
    ownerField = owner;
  }
  // An owner field scopes reads and writes alike here: where App Services scoped only one of
  // them, the other is narrowed too (never wider than the export's rule).

  const read = bool(role.read, `${name}: read`);
  const write = filters.write === false ? false : bool(role.write, `${name}: write`);
  const insert = bool(role.insert ?? true, `${name}: insert`);
  const del = bool(role.delete ?? true, `${name}: delete`);
  const fields = fieldRules(role, name, read === true, write === true);
  const anyField = fields
    ? Object.values(fields.fields).some((f) => f.read || f.write) ||
      fields.additional.read ||
      fields.additional.write
    : false;
  const anyWrite =
    write === true ||
    (fields !== undefined && (Object.values(fields.fields).some((f) => f.write) || fields.additional.write));
  return {
    ...(ownerField ? { ownerField } : {}),
    read: read === true || write === true || anyField,
    write: anyWrite,
    insert: anyWrite && insert !== false,
    delete: anyWrite && del !== false,
    ...(fields && !(read === true && write === true) ? { fields } : {}),
  };
}

/** `{}` / absent / `true` / `{"%%true": true}`: everyone; `{<field>: "%%user.id"}`: the owner's. */
function ownerOf(expression: Json, where: string, allowTrue: boolean): string | undefined {
  if (expression === undefined || (allowTrue && expression === true)) return undefined;
  if (expression === null || typeof expression !== 'object' || Array.isArray(expression))
    throw new UnsupportedRule(`${where}: ${JSON.stringify(expression)} cannot be expressed here`);
  const entries = Object.entries(expression as Record<string, Json>);
  if (entries.length === 0) return undefined;
  if (entries.length === 1) {
    const [key, value] = entries[0] as [string, Json];
    if (key === '%%true' && value === true) return undefined;
    if (!key.startsWith('%') && !key.startsWith('$') && value === '%%user.id') return key;
  }
  throw new UnsupportedRule(
    `${where}: ${JSON.stringify(expression)} cannot be expressed here (only {} or {"<field>": "%%user.id"})`,
  );
}

function bool(expression: Json, where: string): boolean | undefined {
  if (expression === undefined || typeof expression === 'boolean') return expression;
  if (isTrueExpression(expression)) return true;
  if (isFalseExpression(expression)) return false;
  throw new UnsupportedRule(
    `${where}: ${JSON.stringify(expression)} cannot be expressed here (only true or false)`,
  );
}

const isTrueExpression = (e: Json) =>
  e !== null && typeof e === 'object' && JSON.stringify(e) === JSON.stringify({ '%%true': true });
const isFalseExpression = (e: Json) =>
  e !== null && typeof e === 'object' && JSON.stringify(e) === JSON.stringify({ '%%true': false });

function fieldRules(
  role: Record<string, Json>,
  name: string,
  read: boolean,
  write: boolean,
): FieldRules | undefined {
  const fields = (role.fields ?? {}) as Record<string, Record<string, Json>>;
  const additional = (role.additional_fields ?? {}) as Record<string, Json>;
  if (Object.keys(fields).length === 0 && role.additional_fields === undefined) return undefined;
  const out: FieldRules = {
    fields: {},
    additional: {
      read: read || bool(additional.read, `${name}: additional_fields.read`) === true,
      write: write || bool(additional.write, `${name}: additional_fields.write`) === true,
    },
  };
  for (const [field, rule] of Object.entries(fields)) {
    if (rule.fields !== undefined && Object.keys(rule.fields as object).length > 0)
      throw new UnsupportedRule(
        `${name}: fields.${field}.fields (embedded field rules) cannot be expressed here`,
      );
    out.fields[field] = {
      read: read || bool(rule.read, `${name}: fields.${field}.read`) === true,
      write: write || bool(rule.write, `${name}: fields.${field}.write`) === true,
    };
  }
  return out;
}

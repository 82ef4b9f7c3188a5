/**
 * Example user function (the one realm-web's integration tests call): functions live in the
 * configured directory, one per file, default export `(context, ...args)`.
 */
import type { FunctionContext } from '../../functions/index.js';

const WORDS: Record<string, Record<string, string>> = {
  en_fr: { hello: 'bonjour' },
  en_de: { hello: 'hallo' },
};

export default function translate(_context: FunctionContext, word: unknown, pair: unknown): string {
  const table = WORDS[String(pair)];
  if (!table) throw new Error(`unknown language pair '${String(pair)}'`);
  return table[String(word)] ?? String(word);
}

/**
 * The known preference fields' formats: CSS colours (named or hex) with a swatch that shows
 * them, languages shown by name (Intl.DisplayNames), timezones (IANA names, UTC and legacy
 * aliases that Intl accepts). Pure functions; the Intl object is the only environment used.
 */

/** CSS named colours (CSS Color 4) → #rrggbb, for the swatch and the native colour picker. */
const NAMED: Record<string, string> = Object.fromEntries(
  (
    'aliceblue:f0f8ff antiquewhite:faebd7 aqua:00ffff aquamarine:7fffd4 azure:f0ffff beige:f5f5dc ' +
    'bisque:ffe4c4 black:000000 blanchedalmond:ffebcd blue:0000ff blueviolet:8a2be2 brown:a52a2a ' +
    'burlywood:deb887 cadetblue:5f9ea0 chartreuse:7fff00 chocolate:d2691e coral:ff7f50 ' +
    'cornflowerblue:6495ed cornsilk:fff8dc crimson:dc143c cyan:00ffff darkblue:00008b ' +
    'darkcyan:008b8b darkgoldenrod:b8860b darkgray:a9a9a9 darkgreen:006400 darkgrey:a9a9a9 ' +
    'darkkhaki:bdb76b darkmagenta:8b008b darkolivegreen:556b2f darkorange:ff8c00 ' +
    'darkorchid:9932cc darkred:8b0000 darksalmon:e9967a darkseagreen:8fbc8f darkslateblue:483d8b ' +
    'darkslategray:2f4f4f darkslategrey:2f4f4f darkturquoise:00ced1 darkviolet:9400d3 ' +
    'deeppink:ff1493 deepskyblue:00bfff dimgray:696969 dimgrey:696969 dodgerblue:1e90ff ' +
    'firebrick:b22222 floralwhite:fffaf0 forestgreen:228b22 fuchsia:ff00ff gainsboro:dcdcdc ' +
    'ghostwhite:f8f8ff gold:ffd700 goldenrod:daa520 gray:808080 green:008000 greenyellow:adff2f ' +
    'grey:808080 honeydew:f0fff0 hotpink:ff69b4 indianred:cd5c5c indigo:4b0082 ivory:fffff0 ' +
    'khaki:f0e68c lavender:e6e6fa lavenderblush:fff0f5 lawngreen:7cfc00 lemonchiffon:fffacd ' +
    'lightblue:add8e6 lightcoral:f08080 lightcyan:e0ffff lightgoldenrodyellow:fafad2 ' +
    'lightgray:d3d3d3 lightgreen:90ee90 lightgrey:d3d3d3 lightpink:ffb6c1 lightsalmon:ffa07a ' +
    'lightseagreen:20b2aa lightskyblue:87cefa lightslategray:778899 lightslategrey:778899 ' +
    'lightsteelblue:b0c4de lightyellow:ffffe0 lime:00ff00 limegreen:32cd32 linen:faf0e6 ' +
    'magenta:ff00ff maroon:800000 mediumaquamarine:66cdaa mediumblue:0000cd mediumorchid:ba55d3 ' +
    'mediumpurple:9370db mediumseagreen:3cb371 mediumslateblue:7b68ee mediumspringgreen:00fa9a ' +
    'mediumturquoise:48d1cc mediumvioletred:c71585 midnightblue:191970 mintcream:f5fffa ' +
    'mistyrose:ffe4e1 moccasin:ffe4b5 navajowhite:ffdead navy:000080 oldlace:fdf5e6 olive:808000 ' +
    'olivedrab:6b8e23 orange:ffa500 orangered:ff4500 orchid:da70d6 palegoldenrod:eee8aa ' +
    'palegreen:98fb98 paleturquoise:afeeee palevioletred:db7093 papayawhip:ffefd5 ' +
    'peachpuff:ffdab9 peru:cd853f pink:ffc0cb plum:dda0dd powderblue:b0e0e6 purple:800080 ' +
    'rebeccapurple:663399 red:ff0000 rosybrown:bc8f8f royalblue:4169e1 saddlebrown:8b4513 ' +
    'salmon:fa8072 sandybrown:f4a460 seagreen:2e8b57 seashell:fff5ee sienna:a0522d silver:c0c0c0 ' +
    'skyblue:87ceeb slateblue:6a5acd slategray:708090 slategrey:708090 snow:fffafa ' +
    'springgreen:00ff7f steelblue:4682b4 tan:d2b48c teal:008080 thistle:d8bfd8 tomato:ff6347 ' +
    'turquoise:40e0d0 violet:ee82ee wheat:f5deb3 white:ffffff whitesmoke:f5f5f5 yellow:ffff00 ' +
    'yellowgreen:9acd32 '
  )
    .trim()
    .split(' ')
    .map((pair) => {
      const [name, hex] = pair.split(':') as [string, string];
      return [name, `#${hex}`];
    }),
);

export const COLOR_NAMES = Object.keys(NAMED);

/** A colour name or CSS colour text longer than this is not a colour. */
export const MAX_COLOR_LENGTH = 64;

const HEX = /^#([0-9a-f]{3,4}|[0-9a-f]{6}|[0-9a-f]{8})$/i;
const FUNCTIONAL = /^(rgb|rgba|hsl|hsla|hwb|lab|lch|oklab|oklch)\(\s*[-+0-9.%a-z\s,/]+\)$/i;

/** Why a favourite colour text is not accepted, or null (empty is fine: no colour). */
export function colorError(text: string): string | null {
  const t = text.trim();
  if (t === '') return null;
  if (t.length > MAX_COLOR_LENGTH)
    return `Too long for a colour: ${t.length} characters (at most ${MAX_COLOR_LENGTH})`;
  if (HEX.test(t) || FUNCTIONAL.test(t) || t.toLowerCase() in NAMED) return null;
  return `Not a colour: "${t.length > 24 ? `${t.slice(0, 24)}…` : t}" (use a name like navy, or #1e90ff)`;
}

/**
 * `#rrggbb` for a stored colour when it can be known without a browser (names and hex), else
 * null. The colour picker needs this form; the swatch can also paint functional colours.
 */
export function colorHex(text: string): string | null {
  const t = text.trim().toLowerCase();
  if (t in NAMED) return NAMED[t] as string;
  if (!HEX.test(t)) return null;
  const h = t.slice(1);
  if (h.length === 3 || h.length === 4) return `#${[...h.slice(0, 3)].map((c) => c + c).join('')}`;
  return `#${h.slice(0, 6)}`;
}

/** The CSS colour to paint a swatch with, or null for no (or no valid) colour. */
export function swatchColor(text: string): string | null {
  const t = text.trim();
  if (t === '' || colorError(t)) return null;
  return colorHex(t) ?? t;
}

/** A name for the colour picker's choice when it is exactly a named colour ("#000080" → "navy"). */
export function colorNameOf(hex: string): string | null {
  const h = hex.toLowerCase();
  // grey/gray and similar aliases: the first listed (…gray) wins.
  return COLOR_NAMES.find((n) => NAMED[n] === h) ?? null;
}

/** Languages offered in the picker (BCP 47); a stored code outside this list is shown too. */
export const LANGUAGES = [
  'ar',
  'bn',
  'cs',
  'da',
  'de',
  'el',
  'en',
  'en-GB',
  'es',
  'fa',
  'fi',
  'fr',
  'he',
  'hi',
  'hu',
  'id',
  'it',
  'ja',
  'ko',
  'nl',
  'no',
  'pl',
  'pt',
  'pt-BR',
  'ro',
  'ru',
  'sv',
  'sw',
  'th',
  'tr',
  'uk',
  'vi',
  'zh',
  'zh-TW',
];

/**
 * "German" for "de" in the UI's language, with the language's own name when it differs
 * ("German — Deutsch"); the code itself when Intl does not know it.
 */
export function languageName(code: string, uiLocale = 'en'): string {
  const of = (locale: string) => {
    try {
      const name = new Intl.DisplayNames([locale], { type: 'language', fallback: 'none' }).of(code);
      return name && name !== code ? name : null;
    } catch {
      return null;
    }
  };
  const here = of(uiLocale);
  if (!here) return code;
  const native = of(code);
  return native && native.toLowerCase() !== here.toLowerCase() ? `${here} — ${native}` : here;
}

/** Language options sorted by name, with the stored code included when it is not in the list. */
export function languageOptions(stored: string, uiLocale = 'en'): { code: string; name: string }[] {
  const codes = [...new Set([...LANGUAGES, stored].filter(Boolean))];
  return codes
    .map((code) => ({ code, name: languageName(code, uiLocale) }))
    .sort((a, b) => a.name.localeCompare(b.name, uiLocale));
}

/** IANA zones Intl knows, with UTC first (Chromium's list leaves it out). */
export function timezoneList(): string[] {
  const intl = Intl as unknown as { supportedValuesOf?: (key: string) => string[] };
  const zones = intl.supportedValuesOf?.('timeZone') ?? [];
  return ['UTC', ...zones.filter((z) => z !== 'UTC')];
}

/**
 * The zone as Intl knows it (accepts legacy aliases such as Asia/Calcutta and any case), or null.
 * Returns the text as written so a stored alias is kept, not silently renamed.
 */
export function timezoneError(text: string): string | null {
  const t = text.trim();
  if (t === '') return null;
  if (t.length > 64) return 'Too long for a timezone';
  try {
    new Intl.DateTimeFormat('en', { timeZone: t });
    return null;
  } catch {
    return `Unknown timezone: "${t.length > 24 ? `${t.slice(0, 24)}…` : t}" (e.g. Europe/Paris or UTC)`;
  }
}

/** "UTC+05:30" for a zone at `at` (ms), or "" when Intl cannot say. */
export function utcOffset(zone: string, at: number): string {
  try {
    const part = new Intl.DateTimeFormat('en', { timeZone: zone, timeZoneName: 'longOffset' })
      .formatToParts(at)
      .find((p) => p.type === 'timeZoneName')?.value;
    if (!part) return '';
    const offset = part.replace(/^(GMT|UTC)/, '');
    return offset === '' || offset === '+00:00' ? 'UTC' : `UTC${offset}`;
  } catch {
    return '';
  }
}

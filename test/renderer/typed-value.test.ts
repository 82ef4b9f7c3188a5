import { describe, expect, it } from 'vitest';
import {
  colorError,
  colorHex,
  colorNameOf,
  languageName,
  languageOptions,
  swatchColor,
  timezoneError,
  timezoneList,
  utcOffset,
} from '../../renderer/src/preferences.js';
import {
  dateInputValue,
  fieldNameError,
  kindOf,
  MAX_TEXT_LENGTH,
  parseAs,
  toText,
} from '../../renderer/src/typed-value.js';
import { fieldPathSchema } from '../../sync/protocol/edit-batch.js';

describe('typed values', () => {
  it('knows the kind of each relaxed-EJSON value', () => {
    expect(kindOf('14')).toBe('text');
    expect(kindOf(14)).toBe('number');
    expect(kindOf({ $numberDouble: 'Infinity' })).toBe('number');
    expect(kindOf({ $numberLong: '9007199254740993' })).toBe('number');
    expect(kindOf(false)).toBe('boolean');
    expect(kindOf({ $date: '2020-02-29T00:00:00Z' })).toBe('date');
    expect(kindOf({ $date: { $numberLong: '-62198755200000' } })).toBe('date');
    expect(kindOf({ a: 1 })).toBe('json');
    expect(kindOf([1])).toBe('json');
    expect(kindOf(null)).toBe('json');
  });

  it('parses text as the chosen kind, so "14" as a number is 14 and a date is an EJSON $date', () => {
    expect(parseAs('number', ' 14 ')).toEqual({ ok: true, value: 14 });
    expect(parseAs('number', '-2.5e3')).toEqual({ ok: true, value: -2500 });
    expect(parseAs('text', '14')).toEqual({ ok: true, value: '14' });
    expect(parseAs('boolean', 'True')).toEqual({ ok: true, value: true });
    expect(parseAs('date', '2020-02-29')).toEqual({ ok: true, value: { $date: '2020-02-29T00:00:00.000Z' } });
    expect(parseAs('date', '2020-02-29T10:30:00+02:00')).toEqual({
      ok: true,
      value: { $date: '2020-02-29T08:30:00.000Z' },
    });
    expect(parseAs('json', '{"a": [1, {"b": null}]}')).toEqual({ ok: true, value: { a: [1, { b: null }] } });
    // An EJSON wrapper inside JSON keeps its type.
    expect(parseAs('json', '{"when": {"$date": "2020-01-01T00:00:00Z"}}').ok).toBe(true);
  });

  it('says why a text is not of the kind', () => {
    const error = (kind: Parameters<typeof parseAs>[0], text: string) => {
      const r = parseAs(kind, text);
      return r.ok ? null : r.error;
    };
    expect(error('number', '')).toMatch(/Enter a number/);
    expect(error('number', 'fourteen')).toBe('Not a number: "fourteen"');
    expect(error('number', '0x1f')).toMatch(/Not a number/);
    expect(error('number', '1e999')).toMatch(/Not a number/);
    expect(error('number', '42,5')).toMatch(/use a point: 42\.5/);
    expect(error('boolean', 'maybe')).toMatch(/true or false/);
    expect(error('date', '2023-02-30')).toMatch(/Not a date/);
    expect(error('date', '17/05/1990')).toMatch(/YYYY-MM-DD/);
    expect(error('json', '{a: 1}')).toMatch(/^Invalid JSON/);
    expect(error('json', '42')).toMatch(/object \{…\} or an array/);
    expect(error('json', '{"$set": 1}')).toMatch(/cannot start with "\$"/);
    expect(error('json', '[{"a.b": 1}]')).toMatch(/cannot contain "\."/);
    expect(error('text', 'x'.repeat(MAX_TEXT_LENGTH + 1))).toMatch(/Too long/);
  });

  it("reads EJSON with the host's codec: wrappers are checked, big numbers keep their digits", () => {
    const error = (text: string) => {
      const r = parseAs('json', text);
      return r.ok ? null : r.error;
    };
    expect(error('{"id": {"$oid": "nope"}}')).toMatch(/^Invalid JSON: .*24 character hex/);
    expect(error('{"when": {"$date": "someday"}}')).toBe('Invalid JSON: not a date (when)');
    expect(
      parseAs('json', '{"n": {"$numberLong": "5"}, "id": {"$oid": "0123456789abcdef01234567"}}'),
    ).toEqual({
      ok: true,
      value: { n: 5, id: { $oid: '0123456789abcdef01234567' } },
    });
    expect(toText({ $numberDecimal: '0.10000000000000000001' })).toBe('0.10000000000000000001');
    expect(kindOf({ $oid: '0123456789abcdef01234567' })).toBe('json');
  });

  it('keeps the time of day when only the calendar day of a date is edited', () => {
    const previous = { $date: '2020-01-01T08:15:00.000Z' };
    expect(parseAs('date', '2021-06-30', previous)).toEqual({
      ok: true,
      value: { $date: '2021-06-30T08:15:00.000Z' },
    });
    expect(toText(previous)).toBe('2020-01-01T08:15:00.000Z');
    expect(toText({ $date: '1990-05-17T00:00:00Z' })).toBe('1990-05-17');
    expect(dateInputValue(previous)).toBe('2020-01-01');
  });

  it('round-trips each kind through its text', () => {
    for (const value of [14, 2.5, true, 'hi', { $date: '2020-02-29T00:00:00.000Z' }, { a: [1, 2] }]) {
      const kind = kindOf(value);
      expect(parseAs(kind, toText(value, kind))).toEqual({ ok: true, value });
    }
  });

  it('checks new field names like the engine does', () => {
    for (const name of [
      'age',
      'a.b',
      'x-y_1',
      'my field',
      '$set',
      'a..b',
      '',
      '__proto__',
      'a.constructor',
    ]) {
      expect(fieldNameError(name) === null, name).toBe(fieldPathSchema.safeParse(name).success);
    }
    expect(fieldNameError('my field')).toMatch(/letters, digits/);
    expect(fieldNameError('x'.repeat(201))).toMatch(/Too long/);
  });
});

describe('colours', () => {
  it('accepts CSS names, hex and functional colours; refuses nonsense and absurd lengths', () => {
    for (const ok of [
      'navy',
      'RebeccaPurple',
      '#abc',
      '#1e90ffcc',
      'rgb(0 128 255 / 50%)',
      'hsl(200, 50%, 40%)',
      '',
    ])
      expect(colorError(ok), ok).toBeNull();
    expect(colorError('blurple')).toMatch(/Not a colour: "blurple"/);
    expect(colorError('x'.repeat(65))).toMatch(/Too long for a colour/);
    expect(colorError('rgb(1,2,3); background: url(x)')).toMatch(/Not a colour/);
  });
  it('paints named colours as themselves and an empty value as no colour (not black)', () => {
    expect(colorHex('navy')).toBe('#000080');
    expect(colorHex('#ABC')).toBe('#aabbcc');
    expect(swatchColor('navy')).toBe('#000080');
    expect(swatchColor('rgb(1 2 3)')).toBe('rgb(1 2 3)');
    expect(swatchColor('')).toBeNull();
    expect(swatchColor('blurple')).toBeNull();
    expect(colorNameOf('#000080')).toBe('navy');
    expect(colorNameOf('#123456')).toBeNull();
  });
});

describe('languages and timezones', () => {
  it('names languages in the UI language, with their own name', () => {
    expect(languageName('de', 'en')).toBe('German — Deutsch');
    expect(languageName('en', 'en')).toBe('English');
    expect(languageName('pt-BR', 'en')).toMatch(/^Brazilian Portuguese/);
    expect(languageName('qq-invalid-', 'en')).toBe('qq-invalid-');
    const options = languageOptions('tlh', 'en');
    expect(options.map((o) => o.code)).toContain('tlh');
    const names = options.map((o) => o.name);
    expect(names).toEqual([...names].sort((a, b) => a.localeCompare(b, 'en')));
  });
  it('lists UTC first and accepts legacy names as stored', () => {
    const zones = timezoneList();
    expect(zones[0]).toBe('UTC');
    expect(zones.length).toBeGreaterThan(300);
    expect(timezoneError('Asia/Calcutta')).toBeNull();
    expect(timezoneError('UTC')).toBeNull();
    expect(timezoneError('Mars/Olympus_Mons')).toMatch(/Unknown timezone/);
    expect(utcOffset('Asia/Calcutta', Date.UTC(2024, 0, 1))).toBe('UTC+05:30');
    expect(utcOffset('UTC', 0)).toBe('UTC');
    expect(utcOffset('America/New_York', Date.UTC(2024, 6, 1))).toBe('UTC-04:00');
  });
});

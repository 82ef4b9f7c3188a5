/** The known preference fields, each with the input that fits it. */
import { useMemo } from 'react';
import {
  COLOR_NAMES,
  colorError,
  colorHex,
  colorNameOf,
  languageName,
  languageOptions,
  swatchColor,
  timezoneError,
  timezoneList,
  utcOffset,
} from '../../preferences.js';
import { dateInputValue, parseAs } from '../../typed-value.js';
import { FieldError, Pending } from './field-bits.js';
import { useField, useSave } from './use-field.js';

export const KNOWN = ['favoriteColor', 'preferredLanguage', 'timezone', 'dateOfBirth'];

const uiLocale = () => (typeof navigator !== 'undefined' && navigator.language) || 'en';
const asText = (v: unknown) => (typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v));

interface FieldProps {
  value: unknown;
  pending: boolean;
}

export function ColorField({ value, pending }: FieldProps) {
  const save = useSave();
  const stored = asText(value);
  const field = useField(stored, async (text) => {
    const t = text.trim();
    const error = colorError(t);
    if (error) return error;
    // Empty means no colour: the field is removed rather than stored as "".
    if (t === '') return value === undefined ? null : save('favoriteColor', undefined);
    return save('favoriteColor', t);
  });
  const paint = swatchColor(field.error ? stored : field.draft);
  return (
    <div className={`known ${pending ? 'is-pending' : ''}`}>
      <label htmlFor="field-favoriteColor">
        Favorite color <Pending on={pending} />
      </label>
      <span className="row">
        <label
          className={`swatch ${paint ? '' : 'swatch--none'}`}
          style={paint ? { background: paint } : undefined}
          title={paint ? `Pick a colour (now ${field.draft.trim()})` : 'No colour: pick one'}
          data-testid="color-swatch"
          data-color={paint ?? ''}
        >
          <input
            type="color"
            className="swatch__input"
            aria-label="Favorite color picker"
            value={colorHex(stored) ?? '#000000'}
            onChange={(e) => {
              // A picked colour that has a CSS name is stored by name, which people read.
              const picked = colorNameOf(e.target.value) ?? e.target.value;
              field.setDraft(picked);
              void save('favoriteColor', picked).then(field.setError);
            }}
          />
        </label>
        <input
          id="field-favoriteColor"
          type="text"
          aria-label="Favorite color"
          list="color-names"
          maxLength={200}
          spellCheck={false}
          value={field.draft}
          onChange={(e) => {
            field.setDraft(e.target.value);
            // Choosing a name from the list (not typing) saves at once.
            if ((e.nativeEvent as InputEvent).inputType === 'insertReplacementText')
              void save('favoriteColor', e.target.value).then(field.setError);
          }}
          onBlur={() => void field.commitIfChanged()}
          {...field.inputProps}
        />
        <datalist id="color-names">
          {COLOR_NAMES.map((n) => (
            <option key={n} value={n} />
          ))}
        </datalist>
      </span>
      <FieldError id={field.errorId} error={field.error} />
    </div>
  );
}

export function LanguageField({ value, pending }: FieldProps) {
  const save = useSave();
  const stored = asText(value);
  const options = useMemo(() => languageOptions(stored, uiLocale()), [stored]);
  const field = useField(stored, async (code) => save('preferredLanguage', code || undefined));
  return (
    <div className={`known ${pending ? 'is-pending' : ''}`}>
      <label htmlFor="field-preferredLanguage">
        Preferred language <Pending on={pending} />
      </label>
      <select
        id="field-preferredLanguage"
        aria-label="Preferred language"
        title={stored ? `${languageName(stored, uiLocale())} (${stored})` : undefined}
        value={stored}
        {...field.inputProps}
        onChange={(e) => {
          field.setDraft(e.target.value);
          void save('preferredLanguage', e.target.value || undefined).then(field.setError);
        }}
      >
        <option value="">Not set</option>
        {options.map((o) => (
          <option key={o.code} value={o.code}>
            {o.name}
          </option>
        ))}
      </select>
      <FieldError id={field.errorId} error={field.error} />
    </div>
  );
}

export function TimezoneField({ value, pending, now }: FieldProps & { now: number }) {
  const save = useSave();
  const stored = asText(value);
  const zones = useMemo(timezoneList, []);
  const field = useField(stored, async (text) => {
    const t = text.trim();
    const error = timezoneError(t);
    if (error) return error;
    if (t === '') return value === undefined ? null : save('timezone', undefined);
    return save('timezone', t);
  });
  const shown = field.error ? stored : field.draft.trim();
  const offset = shown && !timezoneError(shown) ? utcOffset(shown, now) : '';
  return (
    <div className={`known ${pending ? 'is-pending' : ''}`}>
      <label htmlFor="field-timezone">
        Timezone <Pending on={pending} />
      </label>
      <input
        id="field-timezone"
        type="text"
        aria-label="Timezone"
        list="timezone-names"
        placeholder="Search… e.g. UTC"
        maxLength={200}
        spellCheck={false}
        autoComplete="off"
        value={field.draft}
        {...field.inputProps}
        onChange={(e) => {
          field.setDraft(e.target.value);
          // Choosing from the list (not typing) saves at once.
          const native = e.nativeEvent as InputEvent;
          if (native.inputType === 'insertReplacementText' && zones.includes(e.target.value))
            void save('timezone', e.target.value).then(field.setError);
        }}
        onBlur={() => void field.commitIfChanged()}
      />
      <datalist id="timezone-names">
        {zones.map((z) => (
          <option key={z} value={z} />
        ))}
      </datalist>
      {offset && (
        <span className="muted known__hint" data-testid="timezone-offset">
          {offset} now
        </span>
      )}
      <FieldError id={field.errorId} error={field.error} />
    </div>
  );
}

export function BirthdateField({ value, pending }: FieldProps) {
  const save = useSave();
  const stored = dateInputValue(value);
  const field = useField(stored, async (text) => {
    if (text === '') return value === undefined ? null : save('dateOfBirth', undefined);
    const parsed = parseAs('date', text, value);
    return parsed.ok ? save('dateOfBirth', parsed.value) : parsed.error;
  });
  return (
    <div className={`known ${pending ? 'is-pending' : ''}`}>
      <label htmlFor="field-dateOfBirth">
        Date of birth <Pending on={pending} />
      </label>
      <input
        id="field-dateOfBirth"
        type="date"
        aria-label="Date of birth"
        value={field.draft}
        max="9999-12-31"
        onChange={(e) => field.setDraft(e.target.value)}
        onBlur={() => void field.commitIfChanged()}
        {...field.inputProps}
      />
      <FieldError id={field.errorId} error={field.error} />
    </div>
  );
}

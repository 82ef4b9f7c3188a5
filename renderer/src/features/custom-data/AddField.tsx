/** "Add field": name, type and value; an invalid entry keeps what was typed and says why, next to the culprit. */
import { useId, useState } from 'react';
import { fieldNameError, KINDS, type Kind, parseAs } from '../../typed-value.js';
import { FieldError } from './field-bits.js';
import { useSave } from './use-field.js';

const PLACEHOLDER: Record<Kind, string> = {
  text: 'value',
  number: 'e.g. 14',
  boolean: 'true or false',
  date: 'YYYY-MM-DD',
  json: '{"a": 1} or [1, 2]',
};

export function AddField({ existing }: { existing: string[] }) {
  const save = useSave();
  const [name, setName] = useState('');
  const [kind, setKind] = useState<Kind>('text');
  const [value, setValue] = useState('');
  const [errors, setErrors] = useState<{ name?: string; value?: string }>({});
  const nameErrorId = useId();
  const valueErrorId = useId();

  async function submit() {
    const key = name.trim();
    const nameError =
      fieldNameError(key) ??
      (existing.includes(key) ? `"${key}" already exists: change it in the list above` : null);
    const parsed = parseAs(kind, value);
    const next = { name: nameError ?? undefined, value: parsed.ok ? undefined : parsed.error };
    if (next.name || next.value || !parsed.ok) return setErrors(next);
    const submitted = { name, value };
    const error = await save(key, parsed.value);
    if (error) return setErrors({ value: error });
    setErrors({});
    // Typing may have gone on while the save ran (the next field): clear only what was added.
    setName((n) => (n === submitted.name ? '' : n));
    setValue((v) => (v === submitted.value ? '' : v));
  }
  const onKeyDown = (e: React.KeyboardEvent) => {
    if (e.key === 'Escape' && (errors.name || errors.value)) {
      e.preventDefault();
      setErrors({});
    }
  };

  return (
    <form
      className="add-field"
      aria-label="Add a field"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <span className="add-field__cell add-field__name">
        <input
          aria-label="New field name"
          placeholder="field name"
          value={name}
          maxLength={200}
          aria-invalid={Boolean(errors.name)}
          aria-describedby={errors.name ? nameErrorId : undefined}
          onKeyDown={onKeyDown}
          onChange={(e) => {
            setName(e.target.value);
            setErrors((x) => ({ ...x, name: undefined }));
          }}
        />
        <FieldError id={nameErrorId} error={errors.name ?? null} />
      </span>
      <select
        aria-label="New field type"
        value={kind}
        onKeyDown={onKeyDown}
        onChange={(e) => {
          setKind(e.target.value as Kind);
          setErrors((x) => ({ ...x, value: undefined }));
        }}
      >
        {KINDS.map((k) => (
          <option key={k.kind} value={k.kind}>
            {k.label}
          </option>
        ))}
      </select>
      <span className="add-field__cell add-field__value">
        <input
          aria-label="New field value"
          placeholder={PLACEHOLDER[kind]}
          value={value}
          className={kind === 'json' ? 'mono' : undefined}
          aria-invalid={Boolean(errors.value)}
          aria-describedby={errors.value ? valueErrorId : undefined}
          onKeyDown={onKeyDown}
          onChange={(e) => {
            setValue(e.target.value);
            setErrors((x) => ({ ...x, value: undefined }));
          }}
        />
        <FieldError id={valueErrorId} error={errors.value ?? null} />
      </span>
      <button type="submit" disabled={!name.trim()}>
        Add field
      </button>
    </form>
  );
}

/** One "other" field, edited in place with its type: the stored type is kept unless the user picks another. */
import { useId, useState } from 'react';
import { dateInputValue, KINDS, type Kind, kindOf, parseAs, toText } from '../../typed-value.js';
import { FieldError, Pending } from './field-bits.js';
import { useField, useSave } from './use-field.js';

/** The editor's text for a value: a date input wants YYYY-MM-DD. */
const editText = (value: unknown, kind: Kind) =>
  kind === 'date' ? dateInputValue(value) || toText(value, kind) : toText(value, kind);

export function OtherFieldRow({
  name,
  value,
  pending,
  onRemove,
}: {
  name: string;
  value: unknown;
  pending: boolean;
  onRemove(): void;
}) {
  const save = useSave();
  const storedKind = kindOf(value);
  const nameId = useId();
  // The kind the user chose; null follows the stored value's kind.
  const [chosen, setChosen] = useState<Kind | null>(null);
  const kind = chosen ?? storedKind;
  const commit = async (text: string, as: Kind = kind) => {
    const parsed = parseAs(as, text, value);
    if (!parsed.ok) return parsed.error;
    const error = await save(name, parsed.value);
    if (!error) setChosen(null);
    return error;
  };
  const field = useField(editText(value, storedKind), (text) => commit(text));
  const revert = () => {
    setChosen(null);
    field.revert();
  };
  const inputProps = {
    ...field.inputProps,
    onKeyDown: (e: React.KeyboardEvent<HTMLElement>) => {
      if (e.key === 'Escape' && chosen !== null) {
        e.preventDefault();
        revert();
        return;
      }
      field.inputProps.onKeyDown(e);
    },
    'aria-label': `Value of ${name}`,
    onBlur: () => void field.commitIfChanged(),
  };

  return (
    <fieldset
      className={`other-field ${pending ? 'is-pending' : ''}`}
      aria-labelledby={nameId}
      data-testid="field-row"
      data-field={name}
    >
      <span className="other-field__name" title={name}>
        <span id={nameId}>{name}</span> <Pending on={pending} />
      </span>
      <span className="other-field__kind">
        <select
          aria-label={`Type of ${name}`}
          value={kind}
          onChange={(e) => {
            const next = e.target.value as Kind;
            setChosen(next === storedKind ? null : next);
            // Converts what is there now ("14" → 14); an impossible conversion keeps the text and says why.
            const text = field.draft;
            void (async () => {
              const error = next === storedKind && !field.dirty ? null : await commit(text, next);
              field.setError(error);
            })();
          }}
          onKeyDown={inputProps.onKeyDown}
        >
          {KINDS.map((k) => (
            <option key={k.kind} value={k.kind}>
              {k.label}
            </option>
          ))}
        </select>
      </span>
      <span className="other-field__value">
        {kind === 'boolean' ? (
          <select
            {...inputProps}
            value={field.draft === 'true' || field.draft === 'false' ? field.draft : ''}
            onBlur={undefined}
            onChange={(e) => {
              field.setDraft(e.target.value);
              void commit(e.target.value, 'boolean').then(field.setError);
            }}
          >
            <option value="" disabled>
              choose…
            </option>
            <option value="true">true</option>
            <option value="false">false</option>
          </select>
        ) : (
          <input
            {...inputProps}
            type={kind === 'date' ? 'date' : 'text'}
            inputMode={kind === 'number' ? 'decimal' : undefined}
            spellCheck={kind === 'text'}
            className={kind === 'json' ? 'mono' : undefined}
            value={field.draft}
            onChange={(e) => field.setDraft(e.target.value)}
          />
        )}
        <FieldError id={field.errorId} error={field.error} />
      </span>
      <span className="other-field__actions">
        <button type="button" onClick={onRemove} aria-label={`Remove ${name}`}>
          Remove
        </button>
      </span>
    </fieldset>
  );
}

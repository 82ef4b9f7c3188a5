/**
 * One editable field's local state: the draft text, its error, and what Enter / Escape / blur do.
 * The draft follows the stored value while the user has not changed it (a remote change shows at
 * once) and is kept while they have (their typing is never overwritten).
 */
import { type KeyboardEvent, useId, useRef, useState } from 'react';
import { useApp } from '../../stores/app-store.js';

/** Saves a value (relaxed EJSON) or removes the field; resolves to the error, or null. */
export function useSave() {
  const run = useApp((s) => s.run);
  return async (path: string, value: unknown | undefined): Promise<string | null> => {
    const result = value === undefined ? await run('unset', { path }) : await run('set', { path, value });
    if (result !== undefined) return null;
    // The error belongs to this field: shown next to it, not (also) in the global alert.
    const error = useApp.getState().error ?? 'could not save';
    useApp.getState().clearError();
    return error;
  };
}

export interface Field {
  draft: string;
  setDraft(text: string): void;
  error: string | null;
  setError(error: string | null): void;
  dirty: boolean;
  /** Back to the stored value, without error. */
  revert(): void;
  commit(): Promise<void>;
  /** For blur: saves when the draft differs from the stored value and was not tried yet. */
  commitIfChanged(): Promise<void>;
  /** Props tying the input to its error message. */
  inputProps: {
    'aria-invalid': boolean;
    'aria-describedby': string | undefined;
    onKeyDown(e: KeyboardEvent<HTMLElement>): void;
  };
  errorId: string;
}

/**
 * `commit(draft)` validates and saves, resolving to an error or null; Enter commits, Escape
 * reverts and dismisses the error.
 */
export function useField(stored: string, commit: (draft: string) => Promise<string | null>): Field {
  const [draft, setDraftState] = useState(stored);
  const [base, setBase] = useState(stored);
  const [error, setError] = useState<string | null>(null);
  // After a save the draft shows what was stored ("14.0" typed, 14 stored: "14").
  const [follow, setFollow] = useState(false);
  const attempted = useRef<string | null>(null);
  const errorId = useId();
  // Adjusting state to a new stored value during render (React's documented pattern).
  if (stored !== base) {
    setBase(stored);
    if (draft === base || follow) setDraftState(stored);
    setFollow(false);
  }
  const revert = () => {
    setDraftState(stored);
    setError(null);
    attempted.current = null;
  };
  const run = async (text: string) => {
    attempted.current = text;
    const problem = await commit(text);
    setError(problem);
    if (!problem) setFollow(true);
  };
  return {
    draft,
    setDraft: (text) => {
      setDraftState(text);
      attempted.current = null;
    },
    error,
    setError,
    dirty: draft !== stored,
    revert,
    errorId,
    commit: () => run(draft),
    commitIfChanged: async () => {
      // Blur after Enter (or after an error already shown for this text) does not save twice.
      if (draft !== stored && attempted.current !== draft) await run(draft);
    },
    inputProps: {
      'aria-invalid': error !== null,
      'aria-describedby': error ? errorId : undefined,
      onKeyDown(e) {
        if (e.key === 'Enter' && !e.nativeEvent.isComposing) {
          e.preventDefault();
          void run(draft);
        } else if (e.key === 'Escape' && (draft !== stored || error)) {
          e.preventDefault();
          e.stopPropagation();
          revert();
        }
      },
    },
  };
}

/** Small pieces every field uses: the pending marker and the error tied to its input. */

export function Pending({ on, removed = false }: { on: boolean; removed?: boolean }) {
  return on ? (
    <span className="pending" title="Saved on this device, not yet synced">
      {removed ? 'removal pending' : 'pending'}
    </span>
  ) : null;
}

/** Referenced by the input's `aria-describedby`; announced when it appears. */
export function FieldError({ id, error }: { id: string; error: string | null }) {
  return error ? (
    <span id={id} className="field-error" role="alert">
      {error}
    </span>
  ) : null;
}

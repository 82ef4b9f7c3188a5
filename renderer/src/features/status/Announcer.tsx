/**
 * What a screen reader hears when sync changes: connection, pending edits (the outbox) and
 * conflicts, in one polite sentence. Only these change it, not the ticking countdowns.
 */
import type { ClientStatus } from '../../../../sync/app-api/ui-model.js';
import { connectionWords, plural } from './describe.js';

export function announcement(status: ClientStatus): string {
  // Without "Syncing…": it flips with every batch.
  const parts = [connectionWords({ ...status, syncing: false }).label];
  parts.push(`${plural(status.pendingCount, 'edit')} pending`);
  if (status.rejectedCount > 0) parts.push(`${status.rejectedCount} refused`);
  if (status.conflictCount > 0) parts.push(plural(status.conflictCount, 'conflict'));
  return `${parts.join('. ')}.`;
}

export function Announcer({ status }: { status: ClientStatus }) {
  return (
    <div className="sr-only" aria-live="polite" aria-atomic="true" data-testid="announcer">
      {announcement(status)}
    </div>
  );
}

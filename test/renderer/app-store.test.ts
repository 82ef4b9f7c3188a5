// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import { useApp } from '../../renderer/src/stores/app-store.js';
import type { AppState } from '../../sync/app-api/contract.js';

const state = (version: number, pending: number) =>
  ({ version, status: { pendingCount: pending } }) as unknown as AppState;

describe('renderer store', () => {
  it('keeps the newest engine state when a command answer arrives after a newer event', () => {
    useApp.getState().setState(state(5, 0)); // from the event stream: synced
    useApp.getState().setState(state(4, 1)); // the login command's answer, taken earlier
    expect(useApp.getState().state?.status.pendingCount).toBe(0);
    useApp.getState().setState(state(6, 2));
    expect(useApp.getState().state?.version).toBe(6);
  });

  it('takes a snapshot once: the event after the command answer of the same version changes nothing', () => {
    const answer = state(7, 1);
    useApp.getState().setState(answer); // the command's answer
    useApp.getState().setState(state(7, 1)); // the event of the same snapshot
    expect(useApp.getState().state).toBe(answer);
  });
});

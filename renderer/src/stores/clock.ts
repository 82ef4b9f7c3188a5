/**
 * The renderer's one clock: a single 1 s timer, running while anything subscribes. Views that
 * show time (countdowns, ages, staleness, a timezone's offset) read it, so they change together.
 */
import { useSyncExternalStore } from 'react';

const TICK_MS = 1000;
const listeners = new Set<() => void>();
let now = Date.now();
let timer: ReturnType<typeof setInterval> | undefined;

function subscribe(listener: () => void): () => void {
  if (listeners.size === 0) {
    now = Date.now();
    timer = setInterval(() => {
      now = Date.now();
      for (const l of listeners) l();
    }, TICK_MS);
  }
  listeners.add(listener);
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0) clearInterval(timer);
  };
}

/**
 * Re-renders the caller on the one clock, every `stepMs` (a minute-level view once a minute), and
 * returns host time (`Date.now()`) read at render: a status that arrives between ticks is judged
 * at once (a token expired a moment ago shows as expired), not at the last tick's time.
 */
export function useNow(stepMs = TICK_MS): number {
  useSyncExternalStore(subscribe, () => Math.floor(now / stepMs));
  return Date.now();
}

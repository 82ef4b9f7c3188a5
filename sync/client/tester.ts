/** The tester's tools: faults a user meets, simulated in this client only. */
import type { Parts } from './assemble-parts.js';

export interface TesterHooks {
  /** Simulates a network outage in this client only (independent of the real network). */
  setOffline(offline: boolean): Promise<void>;
  /** Treats the access token as expired now: the state shows it, and the next call (or, online, right away) renews it. */
  expireAccessToken(): Promise<void>;
  /** Shifts this client's clock (staleness, expiry checks, renewal schedule): a wrong device clock. */
  setClockSkew(ms: number): void;
}

export function testerHooks(
  { transport, connection, session, time }: Parts,
  facade: { changed: () => void; notifyOnline: () => Promise<void> },
): TesterHooks {
  return {
    setOffline: async (offline) => {
      transport.forcedOffline = offline;
      if (!offline) return facade.notifyOnline();
      // A state the status shows (`tester.offline`), not an error: nothing failed.
      connection.lastError = null;
      connection.goneOffline();
      facade.changed();
    },
    expireAccessToken: async () => {
      session.expireAccessTokenNow();
      facade.changed();
      if (connection.state === 'online') await session.renewQuietly();
    },
    setClockSkew: (ms) => {
      time.setSkew(ms);
      session.scheduleRenewal();
      facade.changed();
    },
  };
}

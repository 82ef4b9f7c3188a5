/**
 * What the UI knows about sync — the status value, outbox and conflict entries, the staleness
 * function — is the model's (sync/model): the engine builds it, the renderer reads it. Re-exported
 * here so the UI contract stays the renderer's one entry point.
 */
export type {
  ClientStatus,
  ClientUser,
  Conflict,
  Connection,
  EditOpName,
  FieldBefore,
  OutboxEntry,
  SessionStatus,
  Staleness,
  StalenessInput,
  StalenessSource,
  StalenessState,
} from '../model/index.js';
export { computeStaleness, FRESH_MS, LIVE_CONFIRM_MS, stalenessAt } from '../model/index.js';

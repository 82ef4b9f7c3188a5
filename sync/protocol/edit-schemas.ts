/**
 * The edit semantics and the editable-path rule are the model's (sync/model/edit-ops.ts,
 * field-path.ts); re-exported for the protocol's users (server, engine).
 */
export { applyEdit, assertEditablePath, uneditablePathReason } from '../model/index.js';

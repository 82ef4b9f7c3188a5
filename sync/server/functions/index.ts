/**
 * App functions, one entry point: the registry (our modules and App Services' own function
 * sources, run unmodified), the `context` they get, and the built-in system functions.
 */
export { builtinFunctions, patchOwnDocument } from './builtins.js';
export { callerServices } from './caller-services.js';
export { type AuthTrigger, appHooks, SYSTEM_USER } from './hooks.js';
export {
  type AppFunction,
  type AppValues,
  type FunctionContext,
  type FunctionDefinition,
  FunctionRegistry,
  type FunctionUser,
  makeContext,
} from './registry.js';

/**
 * What the server runs of the app's functions on its own: the user creation function, the login
 * function and App Services authentication triggers (CREATE, LOGIN, DELETE with their
 * `authEvent`), and the system calls of auth providers. All run as system, with the app's values.
 */
import type { MongoClient } from 'mongodb';
import { ConfigError } from '../config.js';
import { type AppValues, type FunctionRegistry, type FunctionUser, makeContext } from './registry.js';

export interface AuthTrigger {
  name: string;
  operationType: 'CREATE' | 'LOGIN' | 'DELETE';
  functionName: string;
  providers: string[];
}

export interface HookConfig {
  userCreationFunction?: string;
  loginTriggerFunction?: string;
  authTriggers: AuthTrigger[];
  /** Custom data disabled: the creation and login functions (custom data writers) do not run. */
  customDataEnabled: boolean;
  serviceName: string;
  maxTimeMS: number;
  app: AppValues;
}

/** `context.user` of functions the server runs on no user's behalf. */
export const SYSTEM_USER: FunctionUser = {
  id: '',
  type: 'system',
  data: {},
  custom_data: {},
  identities: [],
};

export function appHooks(
  config: HookConfig,
  registry: FunctionRegistry,
  mongo: MongoClient,
  now: () => number,
) {
  const names = [
    config.userCreationFunction,
    config.loginTriggerFunction,
    ...config.authTriggers.map((t) => t.functionName),
  ];
  for (const name of names)
    if (name && !registry.has(name)) throw new ConfigError(`configured function '${name}' does not exist`);
  const context = (user: FunctionUser) =>
    makeContext(user, mongo, config.serviceName, () => registry, config.maxTimeMS, { app: config.app });
  const run = (name: string, user: FunctionUser, args: unknown[]) =>
    registry.call(name, context(user), args, false);

  const fire = async (operationType: AuthTrigger['operationType'], user: FunctionUser) => {
    const providers = user.identities.map((i) => i.provider_type);
    for (const trigger of config.authTriggers) {
      if (trigger.operationType !== operationType) continue;
      if (trigger.providers.length > 0 && !providers.some((p) => trigger.providers.includes(p))) continue;
      const authEvent = { operationType, providers, user, time: new Date(now()) };
      await run(trigger.functionName, SYSTEM_USER, [authEvent]);
    }
  };
  const classic = (name: string | undefined) => async (user: FunctionUser) => {
    if (name && config.customDataEnabled) await run(name, user, [user]);
  };
  const created = classic(config.userCreationFunction);
  const loggedIn = classic(config.loginTriggerFunction);
  return {
    async onUserCreated(user: FunctionUser) {
      await created(user);
      await fire('CREATE', user);
    },
    async onLogin(user: FunctionUser) {
      await loggedIn(user);
      await fire('LOGIN', user);
    },
    onUserDeleted: (user: FunctionUser) => fire('DELETE', user),
    runSystemFunction: (name: string, args: unknown[]) => run(name, SYSTEM_USER, args),
    context,
  };
}

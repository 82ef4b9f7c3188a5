/**
 * Wire shapes of the App Services client API that realm-web and Realm Core speak, as zod schemas.
 * The server validates requests with them; the client engine validates responses.
 */
import { z } from 'zod';

export const PROVIDERS = ['local-userpass', 'anon-user'] as const;
export type Provider = (typeof PROVIDERS)[number];

export const deviceInfoSchema = z.object({ deviceId: z.unknown().optional() }).loose();

export const loginBodySchema = z
  .object({
    username: z.string().optional(),
    password: z.string().optional(),
    options: z.object({ device: deviceInfoSchema.optional() }).loose().optional(),
  })
  .loose();

export const registerBodySchema = z.object({
  email: z
    .string()
    .trim()
    .min(3)
    .max(254)
    .regex(/^[^\s@]+@[^\s@]+$/, 'must be an email address'),
  password: z.string().min(6).max(128),
});

export const loginResponseSchema = z.object({
  access_token: z.string(),
  refresh_token: z.string().nullable().optional(),
  user_id: z.string(),
  device_id: z.string().regex(/^[0-9a-f]{24}$/),
});
export type LoginResponse = z.infer<typeof loginResponseSchema>;

export const refreshResponseSchema = z.object({ access_token: z.string() });
export type RefreshResponse = z.infer<typeof refreshResponseSchema>;

export const identitySchema = z.object({
  id: z.string(),
  provider_type: z.string(),
  provider_id: z.string(),
  provider_data: z.record(z.string(), z.unknown()).optional(),
});
export type Identity = z.infer<typeof identitySchema>;

export const profileResponseSchema = z.object({
  user_id: z.string(),
  domain_id: z.string(),
  type: z.enum(['normal', 'server']),
  identities: z.array(identitySchema),
  data: z.record(z.string(), z.unknown()),
});
export type ProfileResponse = z.infer<typeof profileResponseSchema>;

/** `POST functions/call` body after JSON.parse (arguments still EJSON). */
export const functionCallBodySchema = z.object({
  name: z.string().min(1).max(200),
  arguments: z.array(z.unknown()).default([]),
  service: z.string().min(1).max(200).optional(),
});
export type FunctionCallBody = z.infer<typeof functionCallBodySchema>;

/** Claims of our access tokens (JWT). `user_data` is canonical EJSON, as Atlas sends it. */
export const accessTokenClaimsSchema = z
  .object({
    sub: z.string(),
    iat: z.number(),
    exp: z.number(),
    typ: z.literal('access').optional(),
    baas_device_id: z.string().optional(),
    user_data: z.unknown().optional(),
  })
  .loose();
export type AccessTokenClaims = z.infer<typeof accessTokenClaimsSchema>;

/**
 * Authentication, one entry point: users and their identities, sessions and tokens, the
 * providers (anonymous, e-mail/password, API keys, custom JWT, custom function) and their
 * HTTP routes. The rest of the server imports from here only.
 */
export { assembleAuth } from './assemble.js';
export { registerAuthRoutes } from './auth-routes.js';
export { LoginThrottle } from './login-throttle.js';
export { type Mailer, smtpMailer } from './mail.js';
export { hashPassword } from './passwords.js';
export { type AuthHooks, AuthService } from './service.js';
export { type IdentityDoc, type SessionDoc, Store, type UserDoc } from './store.js';
export { bearerToken, TokenService } from './tokens.js';

// HTTP: the fastify app on HTTPS and localhost HTTP, auth, admin API routes.
export { WebServer, type WebServerOptions } from './server.ts';
export { Auth, SESSION_COOKIE, actorOf, type Principal } from './auth.ts';
export { healthRoutes } from './routes/health.ts';
export { caRoutes } from './routes/ca.ts';
export { plainAssetRoutes } from './routes/plain-assets.ts';
export { authRoutes } from './routes/auth-routes.ts';
export { siteRoutes } from './routes/site-routes.ts';
export { userRoutes } from './routes/user-routes.ts';
export { credentialRoutes } from './routes/credential-routes.ts';
export { Id, IdParams, ErrorBody } from './routes/schemas.ts';

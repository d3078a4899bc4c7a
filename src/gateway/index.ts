// The composition root's parts (src/gateway.ts builds the gateway from them, in start order).
export { CloseCascade, type Closer } from './close-cascade.ts';
export { StartError, type StartContext } from './start-context.ts';
export type { Services } from './services.ts';
export { openData } from './data.ts';
export { buildIdentity } from './identity.ts';
export { startTls, startSfu } from './tls-and-sfu.ts';
export { sipLegDriver, buildSipAccounts, buildStationEndpoint, wireInboundCalls, type SipAccountsDeps, type InboundCallsDeps } from './sip-parts.ts';
export { buildCallService, type CallServiceDeps } from './call-parts.ts';
export { buildServiceLevel, type ServiceLevelDeps } from './service-level.ts';
export { buildAlerts, type AlertSourcesDeps } from './alert-sources.ts';
export { featureRoutes, type FeatureRouteDeps } from './feature-routes.ts';
export { firstRunLink, httpsBase, firstRunHelp, type ConsoleAddresses } from './console-links.ts';

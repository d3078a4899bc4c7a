// TLS certificates: configured, or issued by the local CA.
export { TlsProvider, defaultHostNames, type TlsOptions } from './tls-provider.ts';
export { LocalCa, type TlsMaterial } from './local-ca.ts';

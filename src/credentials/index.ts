// Credentials of terminals, devices and API tokens.
export { Credentials, type Credential, type IssuedSecret, type CredentialEvents } from './credentials.ts';

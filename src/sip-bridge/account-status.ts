// What an account reports about itself (SipAccount.status(), /ready, GET /api/sip/accounts):
// registered or not and why, which of its servers it uses, its transport and media security.
import type { SipTransportName } from './settings.ts';
import type { SrtpMode } from './media-security.ts';
import type { InboundCounters } from './inbound-guard.ts';

export type RegistrationState = 'registering' | 'registered' | 'failed' | 'unregistered';

/** Why an account is not registered: the registrar said no, did not answer, the socket failed, or its TLS certificate did not verify. */
export type FailureReason = 'rejected' | 'timeout' | 'transport' | 'lost' | 'tls';

export interface SipAccountStatus {
  id: string;
  state: RegistrationState;
  registrar: string;
  /** The server the account uses now (host:port): the registrar, or a secondary it failed over to. */
  server: string;
  /** The registrar (for a registrar domain: its SRV targets) and the secondaries, in the order they are tried. */
  servers: string[];
  /** The server in use is the first of `servers` (else the account failed over, or a better SRV target came back). */
  onPrimary: boolean;
  /** udp, tcp or tls; `secure`: the signalling is encrypted and the peer verified (TLS). */
  transport: SipTransportName;
  secure: boolean;
  /** The account's sip.accounts[].srtp: off (plain RTP), offer (SRTP when the PBX takes it), require (SRTP only). */
  srtp: SrtpMode;
  /** Our contact address (host:port) once the socket is bound. */
  contact?: string;
  reason?: FailureReason;
  /** The registrar's status code and phrase when it rejected us. */
  code?: number;
  phrase?: string;
  /** Successful REGISTERs so far (first and refreshes). */
  registrations: number;
  /** Keep-alives answered only after a retransmission (a registrar restarting): each one registered the account again. */
  gaps: number;
  since: number;
  /** What the account's socket did with inbound requests (challenged, accepted, refused, rate-limited). */
  inbound: InboundCounters;
}

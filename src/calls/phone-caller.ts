// A call from a telephone (an inbound SIP call to one of a PBX trunk's numbers):
// which routes it rings and the codec rule for the desks in it. Such a call
// rings the entry's desk routes, then the reception's, like a terminal's call;
// telephone routes are skipped (Portier connects no telephone to another). A
// colleague added later hears and is heard through the telephone's G.711 mix
// (src/sfu/participant-mix.ts). mediasoup does not transcode: every desk in it
// sends and receives the telephone's G.711 codec.
import { InvalidError } from '../core/index.ts';
import type { PhoneBook, PhoneBookEntry, Route } from '../phonebook/index.ts';
import type { Call } from './call.ts';
import type { AudioCodec, MediaProtection } from './media-port.ts';

/** The telephone calling: its participant id (it stands where a terminal's would), how the trunk names it, its codec. */
export interface PhoneCaller {
  participantId: string; label: string; audioCodec: AudioCodec;
  /** How its media travels to the PBX, as the INVITE's offer settled it (a late offer's answer tells the call later: Call.protect). */
  media?: MediaProtection;
  /** A door station calling: the desk's Open door reaches its relay (DoorOpeningDeps.callerRelay) or its door. */
  door?: boolean;
}

/**
 * A telephone calling a terminal that answers by itself: also what the audit keeps of it — the account, the
 * number dialled (the terminal's) and the configured caller's key (its place in the configuration,
 * e.g. `terminals.0.callers.1`), never the caller's telephone number (personal data; review s21 #28).
 */
export interface TerminalCaller extends PhoneCaller { via: { account: string; number: string; callerKey: string } }

/** The entry's desk routes, then the site's reception's; invalid when none is left. */
export function phoneCallRoutes(phonebook: PhoneBook, entry: PhoneBookEntry, isPhoneRoute: (route: Route) => boolean): Array<{ route: Route; reception: boolean }> {
  const desks = (routes: readonly Route[], reception: boolean) => routes.filter((route) => !isPhoneRoute(route)).map((route) => ({ route, reception }));
  const reception = phonebook.reception(entry.siteId);
  const routes = [...desks(entry.routes, entry.kind === 'reception'), ...(reception && reception.id !== entry.id ? desks(reception.routes, true) : [])];
  if (routes.length === 0) throw new InvalidError('this entry has no desk route');
  return routes;
}

/**
 * A desk answered a telephone's call: it sends the telephone's codec from now on
 * (its audio in another codec closes; `tell` asks its page to produce again).
 */
export function deskSendsPhoneCodec(call: Call, participantId: string, tell: (codec: AudioCodec) => void): void {
  const media = call.media;
  const p = call.participant(participantId);
  if (!call.phone || !media || media.closed || !p) return;
  media.setAudioCodec(participantId, call.phone.audioCodec);
  p.audioCodec = call.phone.audioCodec;
  tell(call.phone.audioCodec);
}

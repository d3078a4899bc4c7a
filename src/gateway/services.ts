// What a started gateway hands out: every component, for main, the benches and the tests.
import type { Accounts, FirstRun, Roles, ScryptHasher } from '../access/index.ts';
import type { Alerts } from '../alerts/index.ts';
import type { AuditLog } from '../audit/index.ts';
import type { CallService } from '../calls/index.ts';
import type { Credentials } from '../credentials/index.ts';
import type { DeviceHub } from '../device-hub/index.ts';
import type { WebServer } from '../http/index.ts';
import type { EntryPhotos, EntryReferrers, PhoneBook } from '../phonebook/index.ts';
import type { Privacy } from '../privacy/index.ts';
import type { QualityMonitor, SyntheticProbe } from '../quality/index.ts';
import type { WorkerPool } from '../sfu/index.ts';
import type { SignalingServer } from '../signaling/index.ts';
import type { InboundCalls, SipAccountAdmin, SipBridge, SipLegDriver, StationEndpoint } from '../sip-bridge/index.ts';
import type { DoorReferences, Sites } from '../sites/index.ts';
import type { Store } from '../store/index.ts';
import type { DoorStations, KioskHealth, TerminalEnrolment } from '../terminals/index.ts';
import type { TlsProvider } from '../tls/index.ts';

export interface Services {
  store: Store;
  audit: AuditLog;
  roles: Roles;
  accounts: Accounts;
  /** Every password hash goes through it (bounded; tests read its count). */
  hasher: ScryptHasher;
  credentials: Credentials;
  sites: Sites;
  /** What terminals, devices, door stations and the hub hold of a door, asked when it is deleted (Sites.deleteDoor). */
  doorReferences: DoorReferences;
  /** What door stations and SIP accounts hold of a phone-book entry, asked when it is deleted (PhoneBook.remove). */
  entryReferrers: EntryReferrers;
  firstRun: FirstRun;
  tls: TlsProvider;
  sfu: WorkerPool;
  web: WebServer;
  phonebook: PhoneBook;
  /** The phone-book entries' photos (src/phonebook/photos.ts). */
  photos: EntryPhotos;
  calls: CallService;
  enrolment: TerminalEnrolment;
  /** SIP door stations (src/terminals/door-stations.ts). */
  doorStations: DoorStations;
  /** The stations' SIP socket and registrar; undefined unless sip.stations.enabled. */
  stationEndpoint: StationEndpoint | undefined;
  signaling: SignalingServer;
  deviceHub: DeviceHub;
  quality: QualityMonitor;
  sip: SipBridge;
  /** The admin page's SIP accounts (src/sip-bridge/account-admin.ts). */
  sipAccounts: SipAccountAdmin;
  /** Calls from the PBX to desks (src/sip-bridge/sip-inbound.ts). */
  sipInbound: InboundCalls;
  /** Calls from terminals to telephones (src/sip-bridge/sip-leg.ts). */
  sipLegs: SipLegDriver;
  alerts: Alerts;
  kiosk: KioskHealth;
  /** The privacy contract's service: export, erasure and the retention job (prune()). */
  privacy: Privacy;
  /** The SLA's synthetic probe (media through a worker, a sign-in through socket.io). */
  probe: SyntheticProbe;
}

// Every migration, by name; names sort in the order they run. Components own
// their migration files (e.g. 010-device-hub, 020-calls) and list them here.
import type { Migration } from 'kysely/migration';
import { foundation } from './001-foundation.ts';
import { deviceHub } from './010-device-hub.ts';
import { calls } from './020-calls.ts';
import { doorUnlock } from './030-door-unlock.ts';
import { deviceIds } from './035-device-ids.ts';
import { callQuality } from './040-call-quality.ts';
import { callParticipants } from './045-call-participants.ts';
import { sla } from './050-sla.ts';
import { privacy } from './060-privacy.ts';
import { openingHours } from './070-opening-hours.ts';
import { callTransfer } from './075-call-transfer.ts';
import { oidc } from './080-oidc.ts';
import { welcomeScreens } from './086-welcome-screens.ts';
import { auditAppend } from './088-audit-append.ts';
import { auditChain } from './090-audit-chain.ts';
import { subjectKeys } from './095-subject-keys.ts';
import { doorStations } from './097-door-stations.ts';
import { callKind } from './098-call-kind.ts';
import { doorCommandsPending } from './099-door-commands-pending.ts';
import { doorLocked } from './100-door-locked.ts';
import { kioskCues } from './101-kiosk-cues.ts';
import { sipAccounts } from './102-sip-accounts.ts';
import { sipInbound } from './104-sip-inbound.ts';
import { doorCommandsById } from './105-door-commands-by-id.ts';
import { entryPhotos } from './106-entry-photos.ts';
import { sipCodecs } from './107-sip-codecs.ts';

export const migrations: Record<string, Migration> = {
  '001-foundation': foundation,
  '010-device-hub': deviceHub,
  '020-calls': calls,
  '030-door-unlock': doorUnlock,
  '035-device-ids': deviceIds,
  '040-call-quality': callQuality,
  '045-call-participants': callParticipants,
  '050-sla': sla,
  '060-privacy': privacy,
  '070-opening-hours': openingHours,
  '075-call-transfer': callTransfer,
  '080-oidc': oidc,
  '086-welcome-screens': welcomeScreens,
  '088-audit-append': auditAppend,
  '090-audit-chain': auditChain,
  '095-subject-keys': subjectKeys,
  '097-door-stations': doorStations,
  '098-call-kind': callKind,
  '099-door-commands-pending': doorCommandsPending,
  '100-door-locked': doorLocked,
  '101-kiosk-cues': kioskCues,
  '102-sip-accounts': sipAccounts,
  '104-sip-inbound': sipInbound,
  '105-door-commands-by-id': doorCommandsById,
  '106-entry-photos': entryPhotos,
  '107-sip-codecs': sipCodecs,
};

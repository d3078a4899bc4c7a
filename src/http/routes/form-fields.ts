// Field schemas the admin API's bodies and the admin page's forms share: the page
// imports this file (esbuild bundles it), so a form's limits and patterns are the
// route's own. Only TypeBox's String builder here (its /type entry, so the page
// bundles a few KiB, not the whole library) — nothing that cannot run in a browser.
import { Integer as TypeInteger, String as TypeString } from '@sinclair/typebox/type';
// The domain's own rules, from its leaf modules (no node imports, unlike the components' index.ts): one literal each.
import { RELAY_CODE_PATTERN, SIP_USER_PATTERN } from '../../terminals/station-rules.ts';
import { MAX_PASSWORD, MIN_PASSWORD } from '../../access/password-rules.ts';
import { POLICY_LIMITS } from '../../phonebook/types.ts';

/** Ids chosen by an admin and used in topics and URLs: sites, devices. */
const SLUG = '^[a-z0-9][a-z0-9-]{0,62}$';

/** A device's id, also its MQTT user name and client id (POST /api/devices). */
export const DeviceId = TypeString({ pattern: SLUG });
/** A device's label (POST /api/devices, PATCH /api/devices/:id). */
export const DeviceLabel = TypeString({ minLength: 1, maxLength: 200 });
/** A terminal's name (POST /api/terminals, PATCH /api/terminals/:id). */
export const TerminalName = TypeString({ minLength: 1, maxLength: 100 });
/** The number or extension a phone-book entry's SIP route dials. */
export const SipRouteUser = TypeString({ minLength: 1, maxLength: 64 });
/** A phone-book entry's name (POST /api/sites/:siteId/phonebook, PUT /api/phonebook/:id). */
export const EntryName = TypeString({ minLength: 1, maxLength: 200 });
/** Seconds a phone-book entry's route rings before the next one (its policy's legTimeoutS). */
export const LegTimeoutS = TypeInteger({ minimum: POLICY_LIMITS.legTimeoutS.min, maximum: POLICY_LIMITS.legTimeoutS.max });
/** Seconds a call to a phone-book entry rings in all (its policy's capS). */
export const CapS = TypeInteger({ minimum: POLICY_LIMITS.capS.min, maximum: POLICY_LIMITS.capS.max });
/** How loud a site's kiosks play their sound cues, 0 (none) to 100. */
export const CueVolume = TypeInteger({ minimum: 0, maximum: 100 });
/** A phone-book entry's department. */
export const EntryDepartment = TypeString({ maxLength: 200 });
/** A site's id (POST /api/sites). */
export const SiteId = TypeString({ pattern: SLUG });
/** A site's or a door's name. */
export const SiteName = TypeString({ minLength: 1, maxLength: 200 });
/** A site's IANA time zone (checked against the zones the gateway knows when saved). */
export const TimeZone = TypeString({ minLength: 1, maxLength: 64 });
/**
 * A local user's login (POST /api/users): the gateway trims it and lower-cases it,
 * so spaces around it and capitals are allowed here.
 */
export const Login = TypeString({ minLength: 2, maxLength: 64, pattern: '^\\s*[A-Za-z0-9._@-]{2,64}\\s*$' });
/** A user's display name. */
export const DisplayName = TypeString({ minLength: 1, maxLength: 200 });
/** A new password (POST /api/users): the limits src/access/password.ts checks. */
export const NewPassword = TypeString({ minLength: MIN_PASSWORD, maxLength: MAX_PASSWORD });
/** A card's number as typed or read (POST /api/cards); never shown again. */
export const CardNumber = TypeString({ minLength: 1, maxLength: 128 });
/** Who holds a card (a reference, not a name). */
export const HolderRef = TypeString({ minLength: 1, maxLength: 64 });
/** A SIP door station's name. */
export const StationName = TypeString({ minLength: 1, maxLength: 100 });
/** A SIP door station's user (and digest user), as in a SIP URI's user part. */
export const StationSipUser = TypeString({ pattern: SIP_USER_PATTERN });
/** The DTMF keys a door station opens its relay on (SIP INFO). */
export const RelayCode = TypeString({ pattern: RELAY_CODE_PATTERN });
/** A SIP account's id (POST /api/sip-accounts), as sip.accounts[].id in the config file. */
export const SipAccountId = TypeString({ pattern: '^[a-z0-9][a-z0-9_-]{0,63}$' });
/** A SIP server: host, host:port, [v6] or [v6]:port (registrar, secondary registrars, outbound proxy). */
export const SipServer = TypeString({ minLength: 1, maxLength: 255 });
/** A SIP account's user or digest user at its PBX. */
export const SipAccountUser = TypeString({ minLength: 1, maxLength: 128 });
/** A SIP account's digest password: write-only. */
export const SipAccountPassword = TypeString({ minLength: 1, maxLength: 256 });
/** The keys the host of a SIP call presses to open the door ('' = none). */
export const SipDoorCode = TypeString({ pattern: '^[0-9*#]{0,16}$' });
/** Seconds a SIP registration asks for. */
export const SipExpires = TypeInteger({ minimum: 1, maximum: 86400 });
/** A SIP account's own UDP/TCP port. */
export const SipLocalPort = TypeInteger({ minimum: 1, maximum: 65535 });
/** A number the PBX dials in (sip.accounts[].inbound numbers, terminals, callers): digits, +, *, #, letters, . _ - (the config's check). */
export const SipInboundNumber = TypeString({ pattern: '^[+]?[\\w*#.-]{1,32}$' });
/** The digest realm Portier challenges the PBX in ('' = portier). */
export const SipInboundRealm = TypeString({ pattern: '^[A-Za-z0-9._-]{0,64}$' });
/** A caller's stable name in the audit (inbound terminals' callers[].id). */
export const SipCallerId = TypeString({ pattern: '^[A-Za-z0-9._-]{1,64}$' });
/** The name a terminal shows for an allowed caller ('' = the number). */
export const SipCallerName = TypeString({ maxLength: 64 });

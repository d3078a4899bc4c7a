// The rules a door station's SIP user and relay code follow, in a leaf module with
// no imports: the admin API's schemas and the admin page's forms build on the same
// literals (src/http/routes/form-fields.ts) that door-stations.ts checks.

/** RFC 3261 user characters a station's SIP user may hold (no escapes, no separators). */
export const SIP_USER_PATTERN = '^[A-Za-z0-9._~+-]{1,64}$';
/** The DTMF keys a relay code may hold (as the PBX door code). */
export const RELAY_CODE_PATTERN = '^[0-9*#]{1,16}$';

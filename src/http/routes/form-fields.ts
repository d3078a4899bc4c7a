// Field schemas the admin API's bodies and the admin page's forms share: the page
// imports this file (esbuild bundles it), so a form's limits are the route's own.
// Only TypeBox's String builder here (its /type entry, so the page bundles a few
// KiB, not the whole library) — nothing that cannot run in a browser.
import { String as TypeString } from '@sinclair/typebox/type';

/** A device's label (POST /api/devices, PATCH /api/devices/:id). */
export const DeviceLabel = TypeString({ minLength: 1, maxLength: 200 });
/** A terminal's name (POST /api/terminals, PATCH /api/terminals/:id). */
export const TerminalName = TypeString({ minLength: 1, maxLength: 100 });
/** The number or extension a phone-book entry's SIP route dials. */
export const SipRouteUser = TypeString({ minLength: 1, maxLength: 64 });

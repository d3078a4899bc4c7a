// The admin forms' field limits, taken from the routes' own schemas (one source:
// src/http/routes/form-fields.ts), so a limit changed at the gateway changes the form.
import { DeviceLabel, SipRouteUser, TerminalName } from '../../../src/http/routes/form-fields.ts';

/** A device's label (POST/PATCH /api/devices). */
export const LABEL_MAX = DeviceLabel.maxLength!;
/** A terminal's name (POST/PATCH /api/terminals). */
export const NAME_MAX = TerminalName.maxLength!;
/** A SIP route's number or extension (PUT /api/phonebook/:id). */
export const SIP_USER_MAX = SipRouteUser.maxLength!;

// An attended transfer's Replaces (RFC 3891): a PBX's REFER names, in its
// Refer-To's `?Replaces=` header, the consult dialog its phone X holds with the
// target Y; Portier's INVITE to Y carries it as a Replaces header, and Y swaps
// that dialog for Portier's call. The value is read here once, strictly: it goes
// into a header of our own INVITE, so only a Call-ID, two tags, early-only and
// well-formed extension parameters (`token[=token]`, RFC 3891's generic-param: read,
// then dropped, never forwarded) pass; a CR, LF, comma or space is refused.

/** The dialog the target replaces (RFC 3891 §6.1: its Call-ID, its to-tag and from-tag, early-only). */
export interface ReplacedDialog {
  callId: string;
  toTag: string;
  fromTag: string;
  earlyOnly: boolean;
}

/** RFC 3261 §25.1 `word`: a Call-ID is `word ["@" word]`. */
const WORD = /^[A-Za-z0-9\-.!%*_+`'~()<>:\\"/[\]?{}]+$/;
/** RFC 3261 §25.1 `token`: a tag. */
const TOKEN = /^[A-Za-z0-9\-.!%*_+`'~]+$/;

/**
 * Reads Refer-To's Replaces value as sip.js gives it (`%`-escaped: `callid%3Bto-tag%3D…%3Bfrom-tag%3D…`):
 * the dialog, or undefined when it is malformed — no Call-ID, a tag missing, twice or empty, a parameter
 * that is not `token[=token]`, a character a header may not carry.
 */
export function replacedDialog(escaped: string): ReplacedDialog | undefined {
  let value: string;
  try {
    value = decodeURIComponent(escaped).trim();
  } catch {
    return undefined;
  }
  const [callId, ...params] = value.split(';').map((p) => p.trim());
  if (!callId || !validCallId(callId)) return undefined;
  const tags = new Map<string, string>();
  let earlyOnly = false;
  for (const param of params) {
    const [name, tag, ...rest] = param.split('=');
    const key = name?.trim().toLowerCase();
    if (key === 'early-only' && tag === undefined && !earlyOnly) { earlyOnly = true; continue; }
    if (rest.length > 0) return undefined;
    // RFC 3891 §6.1 generic-param: a PBX's own extension, well-formed, is not a reason to refuse the transfer.
    if (key !== 'to-tag' && key !== 'from-tag' && key !== 'early-only' && key && TOKEN.test(key) && (tag === undefined || TOKEN.test(tag.trim()))) continue;
    if ((key !== 'to-tag' && key !== 'from-tag') || tags.has(key)) return undefined;
    const v = tag?.trim() ?? '';
    if (!TOKEN.test(v)) return undefined;
    tags.set(key, v);
  }
  const toTag = tags.get('to-tag');
  const fromTag = tags.get('from-tag');
  if (toTag === undefined || fromTag === undefined) return undefined;
  return { callId, toTag, fromTag, earlyOnly };
}

function validCallId(callId: string): boolean {
  const parts = callId.split('@');
  return parts.length <= 2 && parts.every((p) => WORD.test(p));
}

/** The Replaces header value of our INVITE (RFC 3891 §6.1). */
export function replacesHeader(dialog: ReplacedDialog): string {
  return `${dialog.callId};to-tag=${dialog.toTag};from-tag=${dialog.fromTag}${dialog.earlyOnly ? ';early-only' : ''}`;
}

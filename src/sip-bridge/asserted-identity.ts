// The P-Asserted-Identity header values of a request (RFC 3325 §9.1): the identity a
// trusted PBX asserts for its caller, as opposed to From, which anyone sets. A request
// may carry the header several times, each with comma-separated values (a sip: and a
// tel: identity); the values come back in order, each as written (`"name" <uri>`).
import type { WireMessage } from './sip-wire.ts';

const PAI = /^p-asserted-identity[ \t]*:/i;

/** Every P-Asserted-Identity value of the request, in order. */
export function assertedIdentityValues(msg: WireMessage): string[] {
  const values: string[] = [];
  for (let i = 1; i < msg.headerEnd; i++) {
    const line = msg.lines[i]!;
    if (PAI.test(line)) values.push(...splitValues(line.slice(line.indexOf(':') + 1)));
  }
  return values;
}

/** A header's comma-separated values (commas inside <> and quotes do not separate). */
function splitValues(value: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c === '"') quoted = !quoted;
    else if (!quoted && c === '<') depth++;
    else if (!quoted && c === '>') depth--;
    else if (!quoted && depth === 0 && c === ',') { out.push(value.slice(start, i).trim()); start = i + 1; }
  }
  out.push(value.slice(start).trim());
  return out.filter((v) => v !== '');
}

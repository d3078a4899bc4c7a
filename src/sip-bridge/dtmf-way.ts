// The way a SIP leg takes its keys (review s19 #14): a PBX that sends both SIP
// INFO and RFC 4733 for one key must not count it twice, so the first key that
// reaches the leg fixes the way for the call. Only keys that passed their own
// check get here — RFC 4733 keys only from the latched media source
// (rtp-relay.ts), INFO only in the established dialog — so a spoofed packet
// cannot fix the way. Logged once at info: the way chosen, and the first key
// of the other way that is ignored (never the key itself: it may be the door code).
import type { Logger } from 'pino';

/** How a key reached the leg. */
export type DtmfVia = 'info' | 'rfc4733';

export class DtmfWay {
  readonly #logger: Logger;
  readonly #callId: string;
  #via?: DtmfVia;
  #ignoredLogged = false;
  /** Keys of the other way ignored on this call. */
  ignored = 0;

  constructor(logger: Logger, callId: string) {
    this.#logger = logger;
    this.#callId = callId;
  }

  /** The way keys are taken from; undefined before the first key. */
  get via(): DtmfVia | undefined { return this.#via; }

  /** Whether a key that arrived this way counts (the first key fixes the way). */
  admits(via: DtmfVia): boolean {
    if (this.#via === undefined) {
      this.#via = via;
      this.#logger.info({ callId: this.#callId, via }, `sip: the phone's keys are taken via ${via} / Tasten des Telefons über ${via}`);
      return true;
    }
    if (via === this.#via) return true;
    this.ignored++;
    if (!this.#ignoredLogged) {
      this.#ignoredLogged = true;
      this.#logger.info({ callId: this.#callId, via, taken: this.#via }, `sip: a key via ${via} is ignored, keys are taken via ${this.#via} / eine Taste über ${via} wird ignoriert, Tasten kommen über ${this.#via}`);
    }
    return false;
  }
}

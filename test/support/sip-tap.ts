// What a SIP transport of the gateway under test hands to sip.js, for tests that
// must wait until a peer acted on Portier's message: the peer's next request (an
// ACK after Portier's 200) proves that message arrived, where Portier emits no
// event after sending it (a re-INVITE's 'direction' event comes before its 200).

/** A transport as sip.js sees it: every received message goes through `onMessage`. */
export interface TappableTransport { onMessage: ((message: string) => void) | undefined }

/**
 * Resolves with the first message the transport receives from now on that `match` accepts (after sip.js
 * took it); the tap is removed then. One tap per transport at a time.
 */
export function received(transport: TappableTransport, match: (message: string) => boolean): Promise<string> {
  const deliver = transport.onMessage;
  return new Promise((resolve) => {
    transport.onMessage = (message) => {
      deliver?.(message);
      if (!match(message)) return;
      transport.onMessage = deliver;
      resolve(message);
    };
  });
}

/** Matches the ACK of the dialog's request with CSeq number `cseq` (an ACK of a re-INVITE's 2xx). */
export const ackOf = (callId: string, cseq: number) => (message: string): boolean =>
  message.startsWith('ACK ')
  && new RegExp(`^Call-ID:\\s*${callId.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`, 'im').test(message)
  && new RegExp(`^CSeq:\\s*${cseq}\\s+ACK\\s*$`, 'im').test(message);

// One place that turns a socket.io event into a handler call: the payload is
// validated against the event's schema, the result or a named error goes back
// through the acknowledgement, and nothing a client sends can crash the gateway.
import type { Socket } from 'socket.io';
import type { Logger } from 'pino';
import type { TSchema, Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { PortierError, typeboxReason } from '../core/index.ts';
import type { Ack } from './contract.ts';

export type Handlers<E extends Record<string, TSchema>> = {
  [K in keyof E]: (payload: Static<E[K]>) => Promise<Record<string, unknown> | void>;
};

export function dispatch<E extends Record<string, TSchema>>(socket: Socket, schemas: E, handlers: Handlers<E>, logger: Logger, limits: { maxPayloadBytes: number }): void {
  socket.onAny((event: string, ...args: unknown[]) => {
    const ack = typeof args.at(-1) === 'function' ? (args.pop() as (a: Ack) => void) : undefined;
    const reply = (a: Ack) => ack?.(a);
    if (!Object.hasOwn(schemas, event)) {
      logger.info({ event }, 'signaling: unknown event');
      reply({ ok: false, error: 'invalid', reason: 'event.unknown', params: { event }, message: `unknown event ${event}` });
      return;
    }
    if (!ack) {
      logger.info({ event }, 'signaling: event without acknowledgement refused');
      return;
    }
    const payload = args[0];
    const bytes = Buffer.byteLength(JSON.stringify(payload) ?? '');
    if (bytes > limits.maxPayloadBytes) {
      logger.info({ event, bytes }, 'signaling: payload too large');
      reply({ ok: false, error: 'invalid', reason: 'request.too-large', params: { bytes, limit: limits.maxPayloadBytes }, message: `payload too large: ${bytes} bytes, at most ${limits.maxPayloadBytes}` });
      return;
    }
    const schema = schemas[event]!;
    if (args.length !== 1 || !Value.Check(schema, payload)) {
      const first = Value.Errors(schema, payload).First();
      const message = first ? `${first.path || '(payload)'}: ${first.message}` : 'one payload object expected';
      logger.info({ event, reason: message }, 'signaling: invalid payload');
      const why = first ? typeboxReason(first) : { reason: 'schema', params: { field: '' } };
      reply({ ok: false, error: 'invalid', reason: why.reason, params: why.params ?? {}, message });
      return;
    }
    const handler = handlers[event as keyof E]!;
    handler(payload as Static<E[keyof E]>).then(
      (result) => reply({ ok: true, ...(result ?? {}) }),
      (error: unknown) => {
        if (error instanceof PortierError) {
          reply({ ok: false, error: error.code, reason: error.why.reason, params: error.why.params, message: error.message });
        } else {
          logger.error({ event, err: error }, 'signaling: handler failed');
          reply({ ok: false, error: 'internal', reason: 'internal', params: {}, message: 'internal error' });
        }
      },
    );
  });
}

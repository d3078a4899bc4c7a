// Turns the call model into the messages of the signaling contract.
import type { Call } from '../calls/index.ts';
import type { CallStateMessage } from './contract.ts';

export function stateMessage(call: Call): CallStateMessage {
  const s = call.step;
  switch (s.step) {
    case 'ringing': return { callId: call.id, step: 'ringing', target: s.target, routeIndex: s.routeIndex };
    case 'queued': return { callId: call.id, step: 'queued', position: s.position };
    case 'answered': return { callId: call.id, step: 'answered' };
    case 'transferring': return { callId: call.id, step: 'transferring' };
    case 'on-hold': return { callId: call.id, step: 'on-hold' };
    case 'ended': return { callId: call.id, step: 'ended', reason: s.reason, outcome: s.outcome };
  }
}

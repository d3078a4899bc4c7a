// What the device hub needs from other components, as interfaces the signaling
// side implements (terminal content, calls, desk notifications). All optional:
// when one is absent the action is logged, audited as failed and skipped.
import type { Actor } from '../audit/index.ts';

export interface Localised { de: string; en: string }

export interface TerminalShowRequest {
  terminalId: string;
  /** Named content (e.g. a welcome screen) or a message in both languages. */
  content?: string;
  message?: Localised;
  durationSeconds?: number;
  cause: Actor;
  correlationId?: string;
}

export interface TerminalContent {
  show(request: TerminalShowRequest): Promise<void>;
  /** Wakes the terminal's screen (motion nearby). */
  wake(terminalId: string, cause: Actor): Promise<void>;
}

export interface CallStarter {
  /** Starts a call from a terminal to a phone-book entry; resolves with the call id. */
  start(request: { terminalId: string; target: string; cause: Actor; correlationId?: string }): Promise<{ callId: string }>;
  /** Whether the terminal is in a call now (rule condition `terminal_idle`). */
  isInCall(terminalId: string): boolean;
}

export interface DeskNotifier {
  /** Notifies the desks of a role (on a site) or one user. */
  notify(request: {
    siteId: string; role?: string; userId?: string; text: Localised | string;
    severity: 'info' | 'alert'; correlationId?: string;
  }): Promise<void>;
}

export interface HubPorts {
  terminals?: TerminalContent;
  calls?: CallStarter;
  desks?: DeskNotifier;
}

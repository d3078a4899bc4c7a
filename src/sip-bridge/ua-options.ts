// The sip.js UserAgent options every Portier endpoint shares (the accounts in
// sip-account.ts, the door stations' registrar in station-endpoint.ts): each
// session's media handler comes from the endpoint's own map, and sip.js's log goes
// to pino without its debug level (whole messages: digest responses are not for logs).
import type { Logger } from 'pino';
import type { LogLevel, Session, SessionDescriptionHandler, UserAgentOptions } from 'sip.js';

export function sharedUaOptions(sessionMedia: WeakMap<Session, SessionDescriptionHandler>, logger: Logger, id: string): Pick<UserAgentOptions,
  'sessionDescriptionHandlerFactory' | 'logBuiltinEnabled' | 'logLevel' | 'logConnector'> {
  return {
    sessionDescriptionHandlerFactory: (session: Session) => {
      const media = sessionMedia.get(session);
      if (!media) throw new Error('a SIP session without its media');
      return media;
    },
    logBuiltinEnabled: false,
    logLevel: 'log',
    logConnector: (level: LogLevel, category: string, _label: string | undefined, content: string) => {
      if (level === 'debug') return;
      logger[level === 'log' ? 'debug' : level]({ account: id, category }, `sip.js: ${content}`);
    },
  };
}

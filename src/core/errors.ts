// Named errors that cross component boundaries; adapters map `code` to acks,
// HTTP statuses, SIP responses and MQTT dead letters in one place each.
export type ErrorCode =
  | 'invalid'
  | 'not-found'
  | 'forbidden'
  | 'unauthenticated'
  | 'conflict'
  | 'busy'
  | 'locked'
  | 'rate-limited'
  | 'timeout'
  | 'unavailable'
  | 'closed'
  | 'insufficient-storage';

/** Values a reason names (a field, a limit, an id): the pages put them into their texts. */
export type ErrorParams = Record<string, string | number>;

/**
 * Why, for the pages: `reason` is a key of their catalogues (web/src/lib/error-texts.ts),
 * `params` fill its placeholders. The English `message` stays for logs and API clients;
 * a reason no page knows yet is shown as a translated generic text with the code.
 */
export interface Reason { reason: string; params?: ErrorParams }

export class PortierError extends Error {
  readonly code: ErrorCode;
  readonly details?: unknown;
  /** For the pages: a catalogue key (the code itself when the thrower named none: their generic text) and its values. */
  readonly why: Required<Reason>;

  constructor(code: ErrorCode, message: string, details?: unknown, why?: Reason) {
    super(message);
    this.name = 'PortierError';
    this.code = code;
    this.details = details;
    this.why = { reason: why?.reason ?? code, params: why?.params ?? {} };
  }
}

export class InvalidError extends PortierError {
  constructor(message: string, why?: Reason) {
    super('invalid', message, undefined, why);
    this.name = 'InvalidError';
  }
}

export class NotFoundError extends PortierError {
  constructor(message: string, why?: Reason) {
    super('not-found', message, undefined, why);
    this.name = 'NotFoundError';
  }
}

export class ForbiddenError extends PortierError {
  constructor(message: string, why?: Reason) {
    super('forbidden', message, undefined, why);
    this.name = 'ForbiddenError';
  }
}

export class UnauthenticatedError extends PortierError {
  constructor(message = 'authentication required', why?: Reason) {
    super('unauthenticated', message, undefined, why);
    this.name = 'UnauthenticatedError';
  }
}

export class ConflictError extends PortierError {
  constructor(message: string, why?: Reason) {
    super('conflict', message, undefined, why);
    this.name = 'ConflictError';
  }
}

export class LockedError extends PortierError {
  /** When a retry may succeed, if known (HTTP answers it as Retry-After). */
  readonly retryAfterSeconds?: number;
  constructor(message: string, retryAfterSeconds?: number, why?: Reason) {
    super('locked', message, undefined, why);
    this.name = 'LockedError';
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** Too many attempts from one source, refused before doing the work. */
export class RateLimitedError extends PortierError {
  readonly retryAfterSeconds: number;
  constructor(message: string, retryAfterSeconds: number, why?: Reason) {
    super('rate-limited', message, undefined, why);
    this.name = 'RateLimitedError';
    this.retryAfterSeconds = Math.max(1, Math.ceil(retryAfterSeconds));
  }
}

export class UnavailableError extends PortierError {
  constructor(message: string, why?: Reason) {
    super('unavailable', message, undefined, why);
    this.name = 'UnavailableError';
  }
}

/** The lobby is outside its opening hours and has no after-hours route. */
export class ClosedError extends PortierError {
  constructor(message: string, why?: Reason) {
    super('closed', message, undefined, why);
    this.name = 'ClosedError';
  }
}

/**
 * A SIP stream (TCP/TLS) that cannot be framed: no Content-Length, a malformed one, or a
 * message past sip.max_message_bytes (reason sip.frame-length / sip.frame-too-large / sip.frame-garbage).
 * The connection is closed after it (the next message's start cannot be found).
 */
export class SipFramingError extends PortierError {
  constructor(message: string, why: Reason) {
    super('invalid', message, undefined, why);
    this.name = 'SipFramingError';
  }
}

/**
 * A TLS connection to a SIP peer failed: its certificate is not trusted by the account's CA
 * (reason sip.tls-untrusted, params code = OpenSSL's code) or the handshake failed (sip.tls-failed).
 */
export class SipTlsError extends PortierError {
  constructor(message: string, why: Reason) {
    super('unavailable', message, undefined, why);
    this.name = 'SipTlsError';
  }
}

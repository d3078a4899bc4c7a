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
  | 'closed';

export class PortierError extends Error {
  readonly code: ErrorCode;
  readonly details?: unknown;

  constructor(code: ErrorCode, message: string, details?: unknown) {
    super(message);
    this.name = 'PortierError';
    this.code = code;
    this.details = details;
  }
}

export class InvalidError extends PortierError {
  constructor(message: string, details?: unknown) {
    super('invalid', message, details);
    this.name = 'InvalidError';
  }
}

export class NotFoundError extends PortierError {
  constructor(message: string) {
    super('not-found', message);
    this.name = 'NotFoundError';
  }
}

export class ForbiddenError extends PortierError {
  constructor(message: string) {
    super('forbidden', message);
    this.name = 'ForbiddenError';
  }
}

export class UnauthenticatedError extends PortierError {
  constructor(message = 'authentication required') {
    super('unauthenticated', message);
    this.name = 'UnauthenticatedError';
  }
}

export class ConflictError extends PortierError {
  constructor(message: string) {
    super('conflict', message);
    this.name = 'ConflictError';
  }
}

export class LockedError extends PortierError {
  /** When a retry may succeed, if known (HTTP answers it as Retry-After). */
  readonly retryAfterSeconds?: number;
  constructor(message: string, retryAfterSeconds?: number) {
    super('locked', message);
    this.name = 'LockedError';
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** Too many attempts from one source, refused before doing the work. */
export class RateLimitedError extends PortierError {
  readonly retryAfterSeconds: number;
  constructor(message: string, retryAfterSeconds: number) {
    super('rate-limited', message);
    this.name = 'RateLimitedError';
    this.retryAfterSeconds = Math.max(1, Math.ceil(retryAfterSeconds));
  }
}

export class UnavailableError extends PortierError {
  constructor(message: string) {
    super('unavailable', message);
    this.name = 'UnavailableError';
  }
}

/** The lobby is outside its opening hours and has no after-hours route. */
export class ClosedError extends PortierError {
  constructor(message: string) {
    super('closed', message);
    this.name = 'ClosedError';
  }
}

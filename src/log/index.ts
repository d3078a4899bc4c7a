// Logging with redaction and pseudonymisation.
export { createLogger, pseudonymiser, type LoggerOptions, type Pseudonymise } from './logger.ts';
export { textLine, textDestination } from './text-format.ts';
export { journalCalls, journalAccess } from './operator-journal.ts';

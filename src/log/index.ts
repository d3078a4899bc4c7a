// Logging with redaction and pseudonymisation.
export { createLogger, pseudonymiser, type LoggerOptions, type Pseudonymise } from './logger.ts';
export { textLine, textDestination } from './text-format.ts';
export { journalCalls, journalAccess, journalDevices } from './operator-journal.ts';

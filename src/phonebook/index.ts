// The phone book: entries, routes, search and CSV import.
export { PhoneBook, type EntryReferrers } from './phonebook.ts';
export { SearchIndex, type SearchHit } from './search-index.ts';
export { foldings, withinOneEdit } from './fold.ts';
export { importCsv, CSV_COLUMNS, type ImportResult, type ImportRowError, type ImportReason, type ImportLookups } from './csv-import.ts';
export { parseCsv, decodeCsv, type CsvEncoding } from './csv.ts';
export { DEFAULT_POLICY, SIP_USER, type PhoneBookEntry, type Route, type EntryKind, type EntryInput, type RoutingPolicy } from './types.ts';
export type { PhoneBookTables } from './tables.ts';
export { EntryPhotos, checkPhoto, photoTooLarge, PHOTO_MAX_PIXELS, type Photo, type PhotoInfo, type PhotoTables } from './photos.ts';

// CSV parsing for phone-book imports: the file's bytes decoded (UTF-8 with or
// without BOM, UTF-16 with BOM, else Windows-1252 — what older Excel exports),
// `;` or `,` (detected from the header, or Excel's `sep=` line), quoted fields
// with "" escapes, CRLF or LF.
export interface CsvTable {
  header: string[];
  /** The header's line in the file (2 after a `sep=` line). */
  headerLine: number;
  rows: Array<{ line: number; cells: string[] }>;
}

/** How a file's bytes were read: the page tells the admin when it was not UTF-8. */
export type CsvEncoding = 'utf-8' | 'utf-16le' | 'utf-16be' | 'windows-1252';

/**
 * Decodes a CSV file: a BOM decides; bytes that are valid UTF-8 are UTF-8 (ASCII
 * is too); anything else is Windows-1252, the superset of Latin-1 that Excel
 * writes in western locales (a Latin-1 "ä" is the byte E4, never valid UTF-8 here).
 */
export function decodeCsv(bytes: Uint8Array): { text: string; encoding: CsvEncoding } {
  const bom = (...b: number[]) => b.every((x, i) => bytes[i] === x);
  if (bom(0xef, 0xbb, 0xbf)) return { text: new TextDecoder('utf-8').decode(bytes), encoding: 'utf-8' };
  if (bom(0xff, 0xfe)) return { text: new TextDecoder('utf-16le').decode(bytes), encoding: 'utf-16le' };
  if (bom(0xfe, 0xff)) return { text: new TextDecoder('utf-16be').decode(bytes), encoding: 'utf-16be' };
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes), encoding: 'utf-8' };
  } catch {
    return { text: new TextDecoder('windows-1252').decode(bytes), encoding: 'windows-1252' };
  }
}

function detectDelimiter(headerLine: string): ';' | ',' {
  const semi = (headerLine.match(/;/g) ?? []).length;
  const comma = (headerLine.match(/,/g) ?? []).length;
  return semi >= comma && semi > 0 ? ';' : ',';
}

/** Excel's optional first line naming the separator (`sep=;`). */
const SEP_LINE = /^sep=([;,])\r?\n/i;

export function parseCsv(input: string): CsvTable {
  let text = input.replace(/^\uFEFF/, '');
  const sep = SEP_LINE.exec(text);
  if (sep) text = text.slice(sep[0].length);
  const firstLine = text.split(/\r?\n/, 1)[0] ?? '';
  const delimiter = (sep?.[1] as ';' | ',' | undefined) ?? detectDelimiter(firstLine);
  const lineOffset = sep ? 1 : 0;
  const records: Array<{ line: number; cells: string[] }> = [];
  let cells: string[] = [];
  let cell = '';
  let quoted = false;
  let line = 1 + lineOffset;
  let recordLine = line;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { cell += '"'; i++; }
      else if (c === '"') quoted = false;
      else { if (c === '\n') line++; cell += c; }
      continue;
    }
    if (c === '"' && cell === '') quoted = true;
    else if (c === delimiter) { cells.push(cell); cell = ''; }
    else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      cells.push(cell);
      records.push({ line: recordLine, cells });
      cells = []; cell = ''; line++; recordLine = line;
    } else cell += c;
  }
  if (cell !== '' || cells.length > 0) { cells.push(cell); records.push({ line: recordLine, cells }); }
  const nonEmpty = records.filter((r) => r.cells.some((c) => c.trim() !== ''));
  const [head, ...rows] = nonEmpty;
  return { header: (head?.cells ?? []).map((h) => h.trim().toLowerCase()), headerLine: head?.line ?? 1, rows: rows.map((r) => ({ line: r.line, cells: r.cells.map((c) => c.trim()) })) };
}

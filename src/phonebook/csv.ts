// CSV parsing for phone-book imports: UTF-8 with or without BOM, `;` or `,`
// (detected from the header), quoted fields with "" escapes, CRLF or LF.
export interface CsvTable {
  header: string[];
  rows: Array<{ line: number; cells: string[] }>;
}

function detectDelimiter(headerLine: string): ';' | ',' {
  const semi = (headerLine.match(/;/g) ?? []).length;
  const comma = (headerLine.match(/,/g) ?? []).length;
  return semi >= comma && semi > 0 ? ';' : ',';
}

export function parseCsv(input: string): CsvTable {
  const text = input.replace(/^\uFEFF/, '');
  const firstLine = text.split(/\r?\n/, 1)[0] ?? '';
  const delimiter = detectDelimiter(firstLine);
  const records: Array<{ line: number; cells: string[] }> = [];
  let cells: string[] = [];
  let cell = '';
  let quoted = false;
  let line = 1;
  let recordLine = 1;
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
  return { header: (head?.cells ?? []).map((h) => h.trim().toLowerCase()), rows: rows.map((r) => ({ line: r.line, cells: r.cells.map((c) => c.trim()) })) };
}

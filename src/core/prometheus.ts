// The Prometheus text exposition format (0.0.4) as Portier writes it by hand (no client library):
// a label value escaped, and a metric's HELP and TYPE lines.

/** A label value as the text format wants it: backslash, double quote and line feed escaped. */
export const promLabel = (v: string): string => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

/** The HELP and TYPE lines that open a metric. */
export const promHeader = (name: string, type: 'counter' | 'gauge', help: string): string[] => [`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`];

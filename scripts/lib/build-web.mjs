// Builds the browser pages under web/ (placeholder until the pages exist).
export async function buildWeb() {
  return 'no pages yet';
}

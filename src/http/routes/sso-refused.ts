// The page a browser sees when its single sign-on answer is refused (OIDC and SAML):
// the reason named in German and English, and the way back to the sign-in form.
// No inline script or style: the default CSP applies.

const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** `label`: the method and reason as in the error message (e.g. "saml wrong-audience"); `why`: a sentence per language. */
export function refusedPage(label: string, why?: { de: string; en: string }): string {
  const sentence = why ? `<p lang="de">${escape(why.de)}</p><p lang="en">${escape(why.en)}</p>\n` : '';
  return `<!doctype html><html lang="de"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1"><title>Portier – Anmeldung abgelehnt / Sign-in refused</title>
<link rel="stylesheet" href="/assets/plain.css"></head><body>
<h1>Anmeldung mit dem Firmenkonto abgelehnt / Sign-in with the company account refused</h1>
${sentence}<p>Bitte erneut anmelden. / Please sign in again. (${escape(label)})</p>
<p><a href="/">Zur Anmeldung / Back to sign-in</a></p></body></html>`;
}

// A real SAML 2.0 identity provider for tests: Debian's SimpleSAMLphp 1.19 served by
// PHP's built-in server on loopback, configured in a temp directory (SIMPLESAMLPHP_CONFIG_DIR):
// exampleauth:UserPass users, a hosted IdP signing with a key made here, and Portier
// as the one remote SP. Started once per test file; stopped by its PID.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { makeIdpKeys } from './saml-idp.ts';
import { requireOnPath } from './tools.ts';

export const SIMPLESAMLPHP_WWW = '/usr/share/simplesamlphp/www';

export interface SamlUser { password: string; displayName: string; groups: string[]; mail: string }

export interface SimpleSamlOptions {
  /** Loopback port for PHP's server. */
  port: number;
  /** Portier as the IdP knows it. */
  sp: { entityId: string; acsUrl: string };
  /** Login name → account. The login is the persistent NameID (saml:AttributeNameID from uid). */
  users: Record<string, SamlUser>;
}

export interface SimpleSamlIdp {
  base: string;
  /** The IdP's entity id, as the assertions name their issuer. */
  entityId: string;
  /** HTTP-Redirect single sign-on endpoint (auth.saml.entry_point). */
  ssoUrl: string;
  /** The certificate the IdP signs with (auth.saml.idp_cert). */
  cert: string;
  /** The last lines PHP's server printed (requests, PHP errors). */
  log(): string;
  close(): Promise<void>;
}

/** A JSON value as a PHP array literal (for the plain values written here: no braces, quotes or $ inside strings). */
const php = (value: unknown): string => JSON.stringify(value).replace(/\{/g, '[').replace(/\}/g, ']').replace(/":/g, '" =>');

/** Writes the configuration and starts `php -S`; resolves once the server listens. */
export async function startSimpleSamlPhp(o: SimpleSamlOptions): Promise<SimpleSamlIdp> {
  const phpBin = requireOnPath('php', 'apt-get install php-cli php-xml simplesamlphp');
  if (!existsSync(join(SIMPLESAMLPHP_WWW, 'saml2', 'idp', 'SSOService.php'))) throw new Error(`${SIMPLESAMLPHP_WWW} is missing: apt-get install simplesamlphp (npm run setup installs it)`);
  const dir = mkdtempSync(join(tmpdir(), 'portier-ssp-'));
  for (const sub of ['config', 'metadata', 'cert', 'log', 'data', 'tmp', 'sessions']) mkdirSync(join(dir, sub));
  const base = `http://127.0.0.1:${o.port}`;
  const entityId = `${base}/saml2/idp/metadata.php`;
  const keys = makeIdpKeys('simplesamlphp-test-idp');
  writeFileSync(join(dir, 'cert', 'idp.key'), keys.key, { mode: 0o600 });
  writeFileSync(join(dir, 'cert', 'idp.crt'), keys.cert);

  writeFileSync(join(dir, 'config', 'config.php'), `<?php
$config = ${php({
    baseurlpath: `${base}/`,
    certdir: `${dir}/cert/`, loggingdir: `${dir}/log/`, datadir: `${dir}/data/`, tempdir: `${dir}/tmp`, metadatadir: `${dir}/metadata/`,
    secretsalt: randomBytes(16).toString('hex'), 'auth.adminpassword': randomBytes(16).toString('hex'),
    technicalcontact_name: 'Portier tests', technicalcontact_email: 'tests@portier.invalid', timezone: 'UTC',
    'enable.saml20-idp': true, 'enable.shib13-idp': false,
    'module.enable': { exampleauth: true, core: true, saml: true, admin: true },
    'logging.handler': 'file', 'logging.logfile': 'simplesamlphp.log', 'logging.level': 4,
    'store.type': 'phpsession', 'session.phpsession.savepath': `${dir}/sessions`, 'session.cookie.secure': false,
    'language.available': ['en', 'de'], 'language.default': 'en', 'language.rtl': [],
    'metadata.sources': [{ type: 'flatfile' }],
  })};
`);
  const authUsers = Object.fromEntries(Object.entries(o.users).map(([login, u]) => [`${login}:${u.password}`, {
    uid: [login], displayName: [u.displayName], groups: u.groups, mail: [u.mail],
  }]));
  writeFileSync(join(dir, 'config', 'authsources.php'), `<?php
$config = ${php({ admin: ['core:AdminPassword'], users: { 0: 'exampleauth:UserPass', ...authUsers } })};
`);
  writeFileSync(join(dir, 'metadata', 'saml20-idp-hosted.php'), `<?php
$metadata[${JSON.stringify(entityId)}] = ${php({
    host: '__DEFAULT__', privatekey: 'idp.key', certificate: 'idp.crt', auth: 'users',
    'signature.algorithm': 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
    // The login name as a persistent NameID: the subject Portier stores.
    authproc: { 100: { class: 'saml:AttributeNameID', attribute: 'uid', Format: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent' } },
  })};
`);
  writeFileSync(join(dir, 'metadata', 'saml20-sp-remote.php'), `<?php
$metadata[${JSON.stringify(o.sp.entityId)}] = ${php({
    AssertionConsumerService: [{ Binding: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST', Location: o.sp.acsUrl }],
    NameIDFormat: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
    'saml20.sign.assertion': true, 'saml20.sign.response': false,
  })};
`);
  writeFileSync(join(dir, 'metadata', 'saml20-sp-hosted.php'), '<?php\n');

  const child = spawn(phpBin, ['-S', `127.0.0.1:${o.port}`, '-t', SIMPLESAMLPHP_WWW], {
    env: { ...process.env, SIMPLESAMLPHP_CONFIG_DIR: join(dir, 'config') }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log: string[] = [];
  await listening(child, o.port);
  // PHP's server logs every request: keep reading, so a full pipe never stalls it (the tail helps a failing test).
  child.stderr!.on('data', (chunk: Buffer) => { log.push(chunk.toString()); if (log.length > 50) log.shift(); });
  child.stdout!.resume();
  return {
    base, entityId, ssoUrl: `${base}/saml2/idp/SSOService.php`, cert: keys.cert, log: () => log.join(''),
    close: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        process.kill(child.pid!, 'SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Resolves when PHP's server reports it listens; rejects when it exits first. */
function listening(child: ChildProcess, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes(`127.0.0.1:${port}) started`)) { child.stderr!.off('data', onData); child.stdout!.off('data', onData); resolve(); }
    };
    child.stderr!.on('data', onData);
    child.stdout!.on('data', onData);
    // 'close', not 'exit': the message quotes its last output, which may be unread at the exit.
    child.once('close', (code) => reject(new Error(`php -S exited with ${code} before listening: ${output.slice(-500)}`)));
  });
}

// Who is who and what happened: the audit log with its pseudonym keys and off-box checkpoints, roles,
// accounts, sites, credentials, the authenticator and single sign-on, and the first run's admin.
import type { SecretBox } from '../secrets/index.ts';
import { AuditLog, AuditCheckpoints, SubjectKeys, AuditPseudonyms, AddressKeys, checkpointSettings, checkpointTargets } from '../audit/index.ts';
import { Accounts, Roles, FirstRun, ScryptHasher, Authenticator, OidcSignIn, oidcSettings, SamlSignIn, samlSettings } from '../access/index.ts';
import { Credentials } from '../credentials/index.ts';
import { Sites, WelcomeScreens } from '../sites/index.ts';
import type { Store } from '../store/index.ts';
import type { StartContext } from './start-context.ts';

/** `box`: the master key's sealer (the pseudonym keys are sealed under it). */
export async function buildIdentity(ctx: StartContext, store: Store, box: SecretBox) {
  const { config, logger, clock, step, closers } = ctx;
  // Person ids in entries are pseudonyms under per-subject keys, admins' addresses sealed per day (src/audit, docs/privacy.md).
  const subjectKeys = new SubjectKeys({ db: store.db, box, clock, history: store });
  const addressKeys = new AddressKeys({ db: store.db, box });
  const resealed = await step('audit-keys', async () => await subjectKeys.reseal() + await addressKeys.reseal());
  if (resealed > 0) logger.info({ keys: resealed }, 'secrets: audit pseudonym keys re-encrypted under the new master key / Pseudonymschlüssel des Protokolls mit dem neuen Hauptschlüssel verschlüsselt');
  const audit = new AuditLog(store.db, clock, new AuditPseudonyms({ keys: subjectKeys, addresses: addressKeys }), store);
  // -- audit checkpoints (src/audit): the chain's head goes off the box; sending never blocks an append --
  const checkpoints = new AuditCheckpoints({ db: store.db, audit, clock, settings: checkpointSettings(config), targets: checkpointTargets(config) });
  closers.push({ name: 'audit-checkpoints', close: () => checkpoints.close() });
  checkpoints.on('failed', (f) => logger.warn({ target: f.target, seq: f.checkpoint.seq, attempts: f.attempts, reason: f.reason },
    'audit: checkpoint not delivered, trying again / Prüfpunkt nicht zugestellt, neuer Versuch'));
  await step('audit', () => checkpoints.start());
  const roles = new Roles(store.db);
  await step('roles', () => roles.seed());
  const hasher = new ScryptHasher({ concurrency: config.auth.hash_concurrency, maxQueued: config.auth.hash_queue });
  const accounts = new Accounts({ db: store.db, clock, audit, hasher, policy: {
    maxFailures: config.auth.max_failed_logins,
    lockoutMs: config.auth.lockout_minutes * 60_000,
    perAddressPerMinute: config.auth.address_attempts_per_minute,
    perAddressConcurrent: config.auth.address_concurrent_attempts,
    accountBackoffMaxMs: config.auth.account_backoff_max_seconds * 1000,
    sessionIdleMs: config.auth.session_idle_hours * 3_600_000,
    sessionMaxMs: config.auth.session_max_hours * 3_600_000,
  } });
  const sites = new Sites({ store, audit, clock });
  const welcome = new WelcomeScreens({ store, audit, clock, maxLogoBytes: config.web.logo_max_kib * 1024 });
  const credentials = new Credentials({ store, audit, clock, sites });
  // Who a request is, for HTTP and signaling alike (session cookie, API token, terminal secret).
  const authenticator = new Authenticator({ sessions: accounts, credentials });
  // Single sign-on through the deployment's OpenID provider, when auth.oidc.issuer is set; it ends in a session like a password.
  const oidcConfig = oidcSettings(config);
  const oidc = oidcConfig && new OidcSignIn({ settings: oidcConfig, db: store.db, accounts, roles, audit, clock });
  // The same through the deployment's SAML 2.0 IdP, when auth.saml.entry_point is set.
  const samlConfig = samlSettings(config);
  const saml = samlConfig && new SamlSignIn({ settings: samlConfig, db: store.db, accounts, roles, audit, clock });
  const firstRun = new FirstRun({ store, accounts, roles, audit, clock, dataDir: config.data_dir, linkTtlMs: config.auth.first_run_link_hours * 3_600_000 });
  return { subjectKeys, audit, checkpoints, roles, hasher, accounts, sites, welcome, credentials, authenticator, oidc, saml, firstRun };
}

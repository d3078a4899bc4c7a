// Configuration: defaults, overrides by file and environment, one-line errors.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { loadConfig, ConfigError, envOverrides } from '../../src/config/index.ts';
import { sipSettings } from '../../src/sip-bridge/index.ts';
import { InvalidError } from '../../src/core/index.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const configDir = join(ROOT, 'config');
const load = (env: NodeJS.ProcessEnv = {}, file?: string) => loadConfig({ configDir, env, cwd: '/srv/portier', file });

describe('configuration', () => {
  it('documents and applies the defaults', () => {
    const c = load();
    expect(c.data_dir).toBe('/srv/portier/data');
    expect(c.store.path).toBe('/srv/portier/data/portier.db');
    expect(c.http).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(c.https.port).toBe(8443);
    expect(c.mqtt).toEqual({ tcp: { port: 1883 }, tls: { port: 8883 } });
    expect(c.rtc.base_port).toBe(40000);
  });

  it('maps PORTIER_ variables onto key paths, parsing YAML scalars and lists', () => {
    expect(envOverrides({ PORTIER_HTTP__PORT: '9090', PORTIER_DATA_DIR: '/var/lib/portier', OTHER: 'x' }))
      .toEqual({ http: { port: 9090 }, data_dir: '/var/lib/portier' });
    const c = load({
      PORTIER_MQTT__TCP__PORT: '0', PORTIER_DATA_DIR: '/var/lib/portier',
      PORTIER_HTTPS__HOST_NAMES: '[lobby.example.com, 10.0.0.5]',
    });
    expect(c.mqtt.tcp.port).toBe(0);
    expect(c.store.path).toBe('/var/lib/portier/portier.db');
    expect(c.https.host_names).toEqual(['lobby.example.com', '10.0.0.5']);
  });

  it('never shows a secret\'s value in its error, not even an invalid one', () => {
    let error: unknown;
    try {
      load({ PORTIER_SIP__ACCOUNTS: '[{id: pbx, registrar: "127.0.0.1:5060", username: lobby, password: 314159}]' });
    } catch (e) { error = e; }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/sip\.accounts\.0\.password = \(hidden\) is invalid/);
    expect((error as Error).message).not.toContain('314159');
  });

  it('shows only the kind of a bad mapping or list, which may hold secrets further down', () => {
    let error: unknown;
    try {
      load({ PORTIER_SIP__ACCOUNTS: '{pbx: {registrar: "127.0.0.1:5060", username: lobby, password: s3cret-value}}' });
    } catch (e) { error = e; }
    expect((error as Error).message).toMatch(/sip\.accounts = a mapping is invalid/);
    expect((error as Error).message).not.toContain('s3cret-value');
  });

  it('refuses a session-timer floor below RFC 4028\'s 90 s, naming the key (review s22 #4)', () => {
    expect(() => load({ PORTIER_SIP__SESSION_TIMER__MIN_SECONDS: '30' })).toThrow(ConfigError);
    expect(() => load({ PORTIER_SIP__SESSION_TIMER__MIN_SECONDS: '30' })).toThrow(/sip\.session_timer\.min_seconds = 30 is invalid/);
    expect(load({ PORTIER_SIP__SESSION_TIMER__MIN_SECONDS: '90' }).sip.session_timer.min_seconds).toBe(90);
  });

  it('refuses a DTMF door code that is not 1-16 keys of 0-9, * and #, naming the key; an account may have its own', () => {
    for (const [env, key] of [
      [{ PORTIER_SIP__DOOR_CODE: '"*1a"' }, 'sip.door_code = "*1a"'],
      [{ PORTIER_SIP__DOOR_CODE: '"12345678901234567"' }, 'sip.door_code = "12345678901234567"'],
      // Unquoted in YAML, 12 is a number: the error says a string is wanted.
      [{ PORTIER_SIP__DOOR_CODE: '12' }, 'sip.door_code = 12'],
      [{ PORTIER_SIP__ACCOUNTS: '[{id: pbx, registrar: "127.0.0.1", username: lobby, password: x, door_code: "1 2"}]' }, 'sip.accounts.0.door_code = "1 2"'],
    ] as const) {
      expect(() => load(env)).toThrow(ConfigError);
      expect(() => load(env)).toThrow(`config: ${key} is invalid; allowed: a string matching ^[0-9*#]{0,16}$`);
    }
    expect(load().sip).toMatchObject({ door_code: '*1', door_code_digit_timeout_ms: 3000, door_code_max_wrong: 3 });
    const settings = sipSettings(load({
      PORTIER_SIP__DOOR_CODE: '"#9"',
      PORTIER_SIP__ACCOUNTS: '[{id: a, registrar: "127.0.0.1", username: x, password: x}, {id: b, registrar: "127.0.0.1", username: y, password: y, door_code: ""}, {id: c, registrar: "127.0.0.1", username: z, password: z, door_code: "*0*"}]',
    }));
    expect(settings.accounts.map((a) => a.doorCode?.code ?? null)).toEqual(['#9', null, '*0*']);
    expect(settings.accounts[0]!.doorCode).toEqual({ code: '#9', interDigitMs: 3000, maxWrong: 3 });
  });

  it('sip accounts over tcp and tls: 5061 by default for tls, the CA read at load; a CA that cannot be read or tls without transport tls stop the start naming the key', () => {
    const dir = mkdtempSync(join(tmpdir(), 'portier-cfg-'));
    const ca = join(dir, 'ca.pem');
    writeFileSync(ca, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    const settings = sipSettings(load({
      PORTIER_SIP__ACCOUNTS: `[{id: t, transport: tcp, registrar: "pbx.example", username: x, password: x}, {id: s, transport: tls, registrar: "pbx.example", username: y, password: y, tls: {ca: "${ca}"}}]`,
    }));
    expect(settings.accounts.map((a) => [a.transport, a.registrar.port])).toEqual([['tcp', 5060], ['tls', 5061]]);
    expect(settings.accounts[1]!.tls).toEqual({ ca: expect.stringContaining('BEGIN CERTIFICATE'), serverName: '' });
    expect(settings.streamIdleMs).toBe(180_000);
    expect(settings.streamMaxConnections).toBe(64);
    expect(settings.streamMaxConnectionsPerSource).toBe(8);
    // Idle no longer than the keep-alive: over TLS the registrar's only way back to Portier would close between keep-alives (review s20 #9).
    expect(() => sipSettings(load({ PORTIER_SIP__STREAM_IDLE_SECONDS: '30' }))).toThrow(/sip\.stream_idle_seconds must be above sip\.keepalive_seconds/);
    expect(() => sipSettings(load({ PORTIER_SIP__ACCOUNTS: `[{id: s, transport: tls, registrar: "pbx.example", username: y, password: y, tls: {ca: "${dir}/missing.pem"}}]` })))
      .toThrow(/sip\.accounts\.0\.tls\.ca: cannot read .*missing\.pem.*ENOENT/);
    writeFileSync(ca, 'not a certificate');
    expect(() => sipSettings(load({ PORTIER_SIP__ACCOUNTS: `[{id: s, transport: tls, registrar: "pbx.example", username: y, password: y, tls: {ca: "${ca}"}}]` })))
      .toThrow(/sip\.accounts\.0\.tls\.ca: .* holds no PEM certificate/);
    expect(() => sipSettings(load({ PORTIER_SIP__ACCOUNTS: '[{id: u, registrar: "pbx.example", username: y, password: y, tls: {ca: ""}}]' })))
      .toThrow(/sip\.accounts\.0\.tls: only with transport tls/);
    rmSync(dir, { recursive: true, force: true });
  });

  it('sip codecs: G.711 by default; sip.codecs for every account, an account\'s own codecs for it; a list without G.711 or with a codec twice stops the start naming the key (sip.codecs)', () => {
    const account = (id: string, more = '') => `{id: ${id}, registrar: "pbx.example", username: x, password: x${more}}`;
    expect(sipSettings(load({ PORTIER_SIP__ACCOUNTS: `[${account('a')}]` })).accounts[0]!.codecs).toEqual(['audio/PCMU', 'audio/PCMA']);
    const settings = sipSettings(load({ PORTIER_SIP__CODECS: '[opus, pcma]', PORTIER_SIP__ACCOUNTS: `[${account('a')}, ${account('b', ', codecs: [pcmu]')}]` }));
    expect(settings.accounts.map((a) => a.codecs)).toEqual([['audio/opus', 'audio/PCMA'], ['audio/PCMU']]);
    expect(() => sipSettings(load({ PORTIER_SIP__ACCOUNTS: `[${account('a', ', codecs: [opus]')}]` })))
      .toThrow(expect.objectContaining({ why: { reason: 'sip.codecs', params: { key: 'sip.accounts.0.codecs' } } }));
    expect(() => sipSettings(load({ PORTIER_SIP__CODECS: '[pcma, pcma]', PORTIER_SIP__ACCOUNTS: `[${account('a')}]` }))).toThrow(/sip\.codecs: lists each codec once and PCMU or PCMA/);
    // Not a codec Portier speaks: the schema refuses it.
    expect(() => load({ PORTIER_SIP__CODECS: '[g722, pcma]' })).toThrow(ConfigError);
  });

  it('sip accounts over a WebSocket: the registrar names host, port and path (80/443 and / by default); tls and srtp take wss like tls, not ws', () => {
    const settings = sipSettings(load({
      PORTIER_SIP__ACCOUNTS: '[{id: a, transport: ws, registrar: "pbx.example", username: x, password: x},'
        + ' {id: b, transport: wss, registrar: "pbx.example:8089/ws", srtp: require, tls: {server_name: pbx.example}, username: y, password: y},'
        + ' {id: c, transport: tcp, registrar: "pbx.example", username: z, password: z}]',
    }));
    expect(settings.accounts.map((a) => [a.transport, a.registrar, a.wsPath, a.srtp])).toEqual([
      ['ws', { host: 'pbx.example', port: 80 }, '/', 'off'], ['wss', { host: 'pbx.example', port: 8089 }, '/ws', 'require'], ['tcp', { host: 'pbx.example', port: 5060 }, undefined, 'off'],
    ]);
    expect(settings.accounts[1]!.tls).toEqual({ ca: undefined, serverName: 'pbx.example' });
    // No SRV lookup over a WebSocket (RFC 7118): only the tcp account's bare name is a domain to look up.
    expect(settings.accounts.map((a) => a.registrarDomain)).toEqual([undefined, undefined, 'pbx.example']);
    // A path with spaces or quotes is none.
    expect(() => sipSettings(load({ PORTIER_SIP__ACCOUNTS: '[{id: u, transport: ws, registrar: "pbx.example/a b", username: y, password: y}]' }))).toThrow(/sip\.accounts\.0\.registrar/);
    expect(() => sipSettings(load({ PORTIER_SIP__ACCOUNTS: '[{id: u, transport: ws, srtp: offer, registrar: "pbx.example", username: y, password: y}]' }))).toThrow(/needs transport tls or wss/);
  });

  it('sip accounts srtp: off by default; offer or require only with transport tls — else the start stops naming the key (sip.srtp-needs-tls)', () => {
    const settings = sipSettings(load({
      PORTIER_SIP__ACCOUNTS: '[{id: a, registrar: "pbx.example", username: x, password: x}, {id: b, transport: tls, srtp: require, registrar: "pbx.example", username: y, password: y}]',
    }));
    expect(settings.accounts.map((a) => a.srtp)).toEqual(['off', 'require']);
    for (const [transport, mode] of [['udp', 'offer'], ['tcp', 'require']]) {
      let error: unknown;
      try {
        sipSettings(load({ PORTIER_SIP__ACCOUNTS: `[{id: u, transport: ${transport}, srtp: ${mode}, registrar: "pbx.example", username: y, password: y}]` }));
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(InvalidError);
      expect((error as InvalidError).message).toMatch(new RegExp(`sip\\.accounts\\.0\\.srtp: "${mode}" needs transport tls`));
      expect((error as InvalidError).why.reason).toBe('sip.srtp-needs-tls');
    }
    expect(() => load({ PORTIER_SIP__ACCOUNTS: '[{id: u, transport: tls, srtp: sometimes, registrar: "pbx.example", username: y, password: y}]' })).toThrow(/srtp/);
  });

  it('sip secondary registrars: parsed in order with the transport\'s default port, the failback hold-down in ms; a bad one or one with outbound_proxy stops the start naming the key', () => {
    const settings = sipSettings(load({
      PORTIER_SIP__FAILBACK_HOLD_SECONDS: '45',
      PORTIER_SIP__ACCOUNTS: '[{id: p, registrar: "a.example", secondary_registrars: ["b.example", "10.0.0.6:5070"], username: x, password: x}, {id: q, transport: tls, registrar: "a.example", secondary_registrars: ["[::1]"], username: y, password: y}]',
    }));
    expect(settings.accounts[0]!.secondaryRegistrars).toEqual([{ host: 'b.example', port: 5060 }, { host: '10.0.0.6', port: 5070 }]);
    expect(settings.accounts[1]!.secondaryRegistrars).toEqual([{ host: '::1', port: 5061 }]);
    expect(settings.failbackHoldMs).toBe(45_000);
    expect(sipSettings(load()).failbackHoldMs).toBe(120_000);
    expect(() => sipSettings(load({ PORTIER_SIP__ACCOUNTS: '[{id: p, registrar: "a.example", secondary_registrars: ["b.example:99999"], username: x, password: x}]' })))
      .toThrow(/sip\.accounts\.0\.secondary_registrars\.0: "b\.example:99999" is not host\[:port\]/);
    expect(() => sipSettings(load({ PORTIER_SIP__ACCOUNTS: '[{id: p, registrar: "a.example", secondary_registrars: ["b.example"], outbound_proxy: "c.example", username: x, password: x}]' })))
      .toThrow(/sip\.accounts\.0\.secondary_registrars: not with outbound_proxy/);
  });

  it('sip DNS: a registrar given as a domain without a port is looked up by SRV (not an address, a port or with outbound_proxy); dns_servers and the TTL cap are read, a bad server stops the start', () => {
    const settings = sipSettings(load({
      PORTIER_SIP__DNS_SERVERS: '["192.0.2.53", "192.0.2.54:5353", "[2001:db8::53]:53", "2001:db8::54"]', PORTIER_SIP__DNS_MAX_TTL_SECONDS: '60',
      PORTIER_SIP__ACCOUNTS: '[{id: a, registrar: "pbx.example", username: x, password: x}, {id: b, registrar: "pbx.example:5070", username: x, password: x}, '
        + '{id: c, registrar: "127.0.0.1", username: x, password: x}, {id: d, registrar: "pbx.example", outbound_proxy: "sbc.example", username: x, password: x}, '
        + '{id: e, transport: tls, registrar: "pbx.example", username: x, password: x}]',
    }));
    expect(settings.accounts.map((a) => a.registrarDomain)).toEqual(['pbx.example', undefined, undefined, undefined, 'pbx.example']);
    expect(settings.accounts[4]!.registrar).toEqual({ host: 'pbx.example', port: 5061 });
    expect(settings.dnsServers).toEqual(['192.0.2.53', '192.0.2.54:5353', '[2001:db8::53]:53', '2001:db8::54']);
    expect(settings.dnsMaxTtlMs).toBe(60_000);
    expect(sipSettings(load()).dnsServers).toEqual([]);
    expect(() => sipSettings(load({ PORTIER_SIP__DNS_SERVERS: '["dns.example"]' }))).toThrow(/sip\.dns_servers\.0: "dns\.example" is not an IP address/);
  });

  it('sip inbound terminals: a number reaches a terminal for its listed callers; a number twice (also across numbers and terminals), a bad caller or none stop the start naming the key', () => {
    const account = (terminals: string) => ({ PORTIER_SIP__ACCOUNTS: `[{id: p, registrar: "127.0.0.1", username: x, password: x, inbound: {username: t, password: s, sources: ["10.0.0.5"], numbers: [{number: "4711", entry: e1}], terminals: ${terminals}}}]` });
    const settings = sipSettings(load(account('[{number: "4790", terminal: term-1, callers: [{id: reception, number: "7001", name: Reception}, {id: guard.desk, number: "+49301234"}]}]')));
    const target = settings.accounts[0]!.inbound!.terminals.get('4790')!;
    expect(target.terminalId).toBe('term-1');
    expect([...target.callers]).toEqual([['7001', { name: 'Reception', key: 'reception' }], ['+49301234', { name: undefined, key: 'guard.desk' }]]);
    // The audit's key is the caller's id: reordered or with a caller inserted before, the same caller keeps it (review s22 #20).
    const reordered = sipSettings(load(account('[{number: "4790", terminal: term-1, callers: [{id: night, number: "7009"}, {id: guard.desk, number: "+49301234"}, {id: reception, number: "7001", name: Reception}]}]')));
    expect(reordered.accounts[0]!.inbound!.terminals.get('4790')!.callers.get('7001')!.key).toBe('reception');
    expect(() => load(account('[{number: "4790", terminal: term-1, callers: [{number: "7001"}]}]'))).toThrow(/sip\.accounts\.0\.inbound\.terminals\.0\.callers\.0.*id/);
    expect(() => load(account('[{number: "4790", terminal: term-1, callers: [{id: "a b", number: "7001"}]}]'))).toThrow(/sip\.accounts\.0\.inbound\.terminals\.0\.callers\.0\.id/);
    expect(() => sipSettings(load(account('[{number: "4790", terminal: term-1, callers: [{id: desk, number: "7001"}, {id: desk, number: "7002"}]}]'))))
      .toThrow(/sip\.accounts\.0\.inbound\.terminals\.0\.callers\.1\.id: "desk" is used twice/);
    expect(() => sipSettings(load(account('[{number: "4790", terminal: term-1, callers: [{id: a, number: "7001"}, {id: b, number: "7001"}]}]'))))
      .toThrow(/sip\.accounts\.0\.inbound\.terminals\.0\.callers\.1\.number: "7001" is listed twice/);
    expect(() => sipSettings(load(account('[{number: "4711", terminal: term-1, callers: [{id: r, number: "7001"}]}]')))).toThrow(/sip\.accounts\.0\.inbound\.terminals\.0\.number: "4711" is listed twice/);
    expect(() => sipSettings(load(account('[{number: "4790", terminal: term-1, callers: [{id: r, number: "70 01"}]}]')))).toThrow(/sip\.accounts\.0\.inbound\.terminals\.0\.callers\.0\.number: "70 01" is not a number/);
    expect(() => load(account('[{number: "4790", terminal: term-1, callers: []}]'))).toThrow(/sip\.accounts\.0\.inbound\.terminals\.0\.callers/);
  });

  it('sip inbound terminals need the PBX\'s sources (the caller comes from their P-Asserted-Identity), and trust_registrar beside them needs tls (review s21 #1, #35)', () => {
    const account = (inbound: string, transport = 'udp') => ({
      PORTIER_SIP__ACCOUNTS: `[{id: p, registrar: "127.0.0.1", transport: ${transport}, username: x, password: x, inbound: {username: t, password: s, numbers: [], `
        + `terminals: [{number: "4790", terminal: term-1, callers: [{id: reception, number: "7001"}]}]${inbound}}}]`,
    });
    expect(() => sipSettings(load(account('')))).toThrow(InvalidError);
    expect(() => sipSettings(load(account('')))).toThrow(/sip\.accounts\.0\.inbound\.sources: must list the PBX's addresses when sip\.accounts\.0\.inbound\.terminals is set/);
    expect(() => sipSettings(load(account(', sources: []')))).toThrow(/sip\.accounts\.0\.inbound\.sources: must list/);
    expect(sipSettings(load(account(', sources: ["10.0.0.5"]'))).accounts[0]!.inbound!.terminals.size).toBe(1);
    for (const transport of ['udp', 'tcp']) {
      expect(() => sipSettings(load(account(', sources: ["10.0.0.5"], trust_registrar: true', transport)))).toThrow(/sip\.accounts\.0\.inbound\.trust_registrar: only with transport tls or wss when sip\.accounts\.0\.inbound\.terminals is set/);
    }
    expect(sipSettings(load(account(', sources: ["10.0.0.5"], trust_registrar: true', 'tls'))).accounts[0]!.inbound!.trustRegistrar).toBe(true);
    // Without terminals nothing changes: trust_registrar over UDP and no sources stay allowed (Kamailio's lookup case).
    expect(sipSettings(load({ PORTIER_SIP__ACCOUNTS: '[{id: p, registrar: "127.0.0.1", username: x, password: x, inbound: {username: t, password: s, trust_registrar: true, numbers: [{number: "4711", entry: e1}]}}]' })).accounts[0]!.inbound!.trustRegistrar).toBe(true);
  });

  it('sip inbound sources that list the registrar must list every secondary given as an address too, else the start stops naming the key (review s22 #23)', () => {
    const account = (registrar: string, secondaries: string, sources: string) => ({
      PORTIER_SIP__ACCOUNTS: `[{id: p, registrar: "${registrar}", secondary_registrars: [${secondaries}], username: x, password: x, `
        + `inbound: {username: t, password: s, sources: [${sources}], numbers: [{number: "4711", entry: e1}]}}]`,
    });
    // After a failover the secondary's INVITEs would be refused 403 foreign-source: every inbound call, door callbacks included.
    expect(() => sipSettings(load(account('10.0.0.1', '"10.0.0.2"', '"10.0.0.1"')))).toThrow(InvalidError);
    expect(() => sipSettings(load(account('10.0.0.1', '"10.0.0.2"', '"10.0.0.1"'))))
      .toThrow(/sip\.accounts\.0\.inbound\.sources: lists the registrar 10\.0\.0\.1 but not sip\.accounts\.0\.secondary_registrars\.0 \(10\.0\.0\.2\)/);
    expect(() => sipSettings(load(account('10.0.0.1:5070', '"10.0.0.3", "[fd00::2]:5062"', '"10.0.0.1", "10.0.0.3"'))))
      .toThrow(/sip\.accounts\.0\.inbound\.sources: lists the registrar 10\.0\.0\.1 but not sip\.accounts\.0\.secondary_registrars\.1 \(fd00::2\)/);
    expect(sipSettings(load(account('10.0.0.1', '"10.0.0.2", "[fd00::2]"', '"10.0.0.1", "10.0.0.2", "fd00:0::2"'))).accounts[0]!.secondaryRegistrars).toHaveLength(2);
    // The PBX calls from other addresses than it registers at (an SBC): its servers are not its sources, nothing to compare.
    expect(sipSettings(load(account('10.0.0.1', '"10.0.0.2"', '"10.0.0.9"'))).accounts[0]!.inbound!.sources).toEqual(['10.0.0.9']);
    // Names are resolved at start, not here.
    expect(sipSettings(load(account('10.0.0.1', '"pbx2.example"', '"10.0.0.1"'))).accounts[0]!.secondaryRegistrars).toHaveLength(1);
  });

  it('lets a --config file override the defaults and the environment override the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'portier-cfg-'));
    const file = join(dir, 'site.yaml');
    writeFileSync(file, 'http:\n  port: 8000\nlog:\n  level: debug\n');
    const c = load({ PORTIER_HTTP__PORT: '8001' }, file);
    expect(c.http.port).toBe(8001);
    expect(c.log.level).toBe('debug');
  });

  it.each([
    [{ PORTIER_HTTP__PORT: 'eighty' }, 'config: http.port = "eighty" is invalid; allowed: an integer from 0 to 65535'],
    [{ PORTIER_HTTPS__PORT: '70000' }, 'config: https.port = 70000 is invalid; allowed: an integer from 0 to 65535'],
    [{ PORTIER_LOG__LEVEL: 'loud' }, 'config: log.level = "loud" is invalid; allowed: one of "fatal", "error", "warn", "info", "debug", "trace", "silent"'],
    [{ PORTIER_HTTP__PROT: '1' }, 'config: unknown key http.prot; see config/default.yaml for the allowed keys'],
    [{ PORTIER_RTC__MIN_PORT: '50000', PORTIER_RTC__MAX_PORT: '45000' }, 'config: rtc.min_port = 50000 is invalid; allowed: at most rtc.max_port (45000)'],
  ])('refuses %j with one line naming key, value and what is allowed', (env, message) => {
    expect(() => load(env)).toThrow(ConfigError);
    expect(() => load(env)).toThrow(message);
  });

  // Two process starts: bounded by what a loaded machine needs, not by a speed.
  it('exits 2 with the one-line error from the command line, and check-config accepts a good config', { timeout: 180_000 }, () => {
    const main = join(ROOT, 'src', 'main.ts');
    const bad = spawnSync(process.execPath, [main, 'check-config'], {
      env: { ...process.env, PORTIER_RTC__BASE_PORT: 'x' }, encoding: 'utf8',
    });
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim().split('\n')).toEqual(['config: rtc.base_port = "x" is invalid; allowed: an integer from 0 to 65535']);
    const good = spawnSync(process.execPath, [main, 'check-config'], { env: { ...process.env }, encoding: 'utf8' });
    expect(good.status).toBe(0);
    expect(good.stdout).toBe('config ok\n');
  });
});

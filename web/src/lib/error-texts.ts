// The gateway's refusals in German and English: every `reason` it sends
// (src/core/errors.ts, src/core/schema-reasons.ts, the rules' dry run) has a text
// here with the same placeholders as its `params`; a reason this page does not
// know yet gets the generic text of its code, with the code — never the
// gateway's English message.
import type { Lang } from './i18n.tsx';

type Text = { de: string; en: string };

/** Generic texts by error code: the fallback for reasons without their own text. */
const BY_CODE: Record<string, Text> = {
  invalid: { de: 'Die Eingabe ist ungültig.', en: 'The input is invalid.' },
  'not-found': { de: 'Nicht gefunden – vielleicht wurde es inzwischen gelöscht.', en: 'Not found – it may have been deleted meanwhile.' },
  forbidden: { de: 'Dafür fehlt Ihnen die Berechtigung.', en: 'You do not have permission for this.' },
  unauthenticated: { de: 'Bitte melden Sie sich an.', en: 'Please sign in.' },
  conflict: { de: 'Das geht gerade nicht: Es widerspricht dem aktuellen Stand.', en: 'Not possible right now: it conflicts with the current state.' },
  busy: { de: 'Gerade besetzt. Bitte später erneut versuchen.', en: 'Busy right now. Please try again later.' },
  locked: { de: 'Vorübergehend gesperrt. Bitte später erneut versuchen.', en: 'Temporarily locked. Please try again later.' },
  'rate-limited': { de: 'Zu viele Versuche. Bitte kurz warten und erneut versuchen.', en: 'Too many attempts. Please wait a moment and try again.' },
  timeout: { de: 'Keine Antwort rechtzeitig. Bitte erneut versuchen.', en: 'No answer in time. Please try again.' },
  unavailable: { de: 'Gerade nicht verfügbar. Bitte später erneut versuchen.', en: 'Not available right now. Please try again later.' },
  closed: { de: 'Der Empfang ist jetzt geschlossen.', en: 'The lobby is closed now.' },
  'insufficient-storage': { de: 'Der Speicherplatz dieser Installation ist erschöpft.', en: 'This installation is out of storage.' },
  internal: { de: 'Im Gateway ist ein Fehler aufgetreten.', en: 'An error occurred in the gateway.' },
  network: { de: 'Keine Verbindung zum Gateway.', en: 'No connection to the gateway.' },
};

/** Texts by reason. A key ending in `.1` is the singular, used when the count (`limit`, `n`) is 1. */
export const REASONS: Record<string, Text> = {
  withCode: { de: '{text} (Fehlercode: {code})', en: '{text} (error code: {code})' },
  inRuleField: { de: 'Feld {field}: {text}', en: 'Field {field}: {text}' },

  'login.wrong': { de: 'Benutzername oder Passwort falsch.', en: 'Wrong user name or password.' },
  'pairing.invalid-code': { de: 'Dieser Kopplungscode ist ungültig, abgelaufen oder schon benutzt.', en: 'This pairing code is invalid, expired or already used.' },
  'pairing.too-many': { de: 'Zu viele Kopplungsversuche. Bitte eine Minute warten.', en: 'Too many pairing attempts. Please wait a minute.' },
  'terminal.offline': { de: 'Das Terminal {name} ist offline und kann nicht neu geladen werden.', en: 'Terminal {name} is offline and cannot be reloaded.' },
  'terminal.not-found': { de: 'Dieses Terminal gibt es nicht (mehr).', en: 'This terminal does not exist (any more).' },
  'door-station.not-found': { de: 'Diese Türstation gibt es nicht (mehr).', en: 'This door station does not exist (any more).' },
  'door-station.user-taken': { de: 'Der SIP-Benutzer „{user}“ gehört schon einer anderen Türstation.', en: 'The SIP user “{user}” already belongs to another door station.' },
  'door-station.sip-user': { de: 'Der SIP-Benutzer „{user}“ ist ungültig: 1–64 Buchstaben, Ziffern und . _ ~ + -', en: 'The SIP user “{user}” is invalid: 1–64 letters, digits and . _ ~ + -' },
  'door-station.entry-not-on-site': { de: 'Dieser Telefonbucheintrag gehört nicht zum Standort {site}.', en: 'This phone-book entry is not an entry of site {site}.' },
  'sip.frame-length': { de: 'SIP-Verbindung getrennt: eine Nachricht ohne gültige Content-Length ({why}).', en: 'SIP connection closed: a message without a valid Content-Length ({why}).' },
  'sip.frame-too-large': { de: 'SIP-Verbindung getrennt: Nachricht zu groß (höchstens {max} Bytes).', en: 'SIP connection closed: message too large (at most {max} bytes).' },
  'sip.tls-untrusted': { de: 'Das Zertifikat der Telefonanlage {peer} ist nicht vertrauenswürdig ({code}).', en: 'The PBX {peer} presented an untrusted certificate ({code}).' },
  'sip.tls-failed': { de: 'TLS-Verbindung zur Telefonanlage {peer} fehlgeschlagen ({code}).', en: 'The TLS connection to the PBX {peer} failed ({code}).' },
  'sip.source-connections': { de: 'SIP-Verbindung von {source} abgewiesen: diese Adresse hält schon {limit} Verbindungen.', en: 'SIP connection from {source} refused: this address already holds {limit} connections.' },
  'sip.station-video': { de: 'Das Video der Türstation konnte nicht verbunden werden – der Anruf läuft nur mit Ton.', en: 'The door station\'s video could not be connected – the call goes on with audio only.' },
  'sip.secondary-not-source': { de: '{key} nennt den Registrar, aber nicht den Ausweichserver {server} – dessen Anrufe würden nach einem Wechsel abgewiesen.', en: '{key} lists the registrar but not the secondary server {server} – its calls would be refused after a failover.' },
  'sip.host-port': { de: '{key}: „{value}“ ist kein Server (host oder host:port).', en: '{key}: “{value}” is not a server (host or host:port).' },
  'sip.ws-upgrade': { de: 'SIP über WebSocket: Die Verbindung zu {url} ließ sich nicht aufbauen (kein WebSocket mit dem Unterprotokoll sip).', en: 'SIP over WebSocket: the connection to {url} could not be set up (no WebSocket with the sip subprotocol).' },
  'sip.tls-needs-transport': { de: '{key}: TLS-Angaben nur mit Transport tls oder wss.', en: '{key}: TLS settings only with transport tls or wss.' },
  'sip.dns-server': { de: '{key}: „{value}“ ist kein DNS-Server (IP-Adresse oder IP-Adresse:Port).', en: '{key}: “{value}” is not a DNS server (an IP address or IP address:port).' },
  'sip.secondaries-with-proxy': { de: '{key}: Ausweichserver nicht zusammen mit einem Outbound-Proxy – der Proxy wählt den Server.', en: '{key}: secondary servers not together with an outbound proxy – the proxy chooses the server.' },
  'sip.ca-not-pem': { de: '{key}: Das ist kein PEM-Zertifikat (-----BEGIN CERTIFICATE-----).', en: '{key}: this is not a PEM certificate (-----BEGIN CERTIFICATE-----).' },
  'sip-account.not-found': { de: 'Das SIP-Konto „{id}“ gibt es nicht (mehr).', en: 'The SIP account “{id}” does not exist (any more).' },
  'sip-account.id-in-config': { de: 'Die Kennung „{id}“ hat schon ein SIP-Konto aus der Konfigurationsdatei.', en: 'The id “{id}” is already used by a SIP account from the config file.' },
  'sip-account.id-taken': { de: 'Die Kennung „{id}“ hat schon ein anderes SIP-Konto.', en: 'The id “{id}” is already used by another SIP account.' },
  'sip-account.from-config': { de: 'Das SIP-Konto „{id}“ steht in der Konfigurationsdatei und wird dort geändert.', en: 'The SIP account “{id}” is in the config file and is changed there.' },
  'sip-account.in-use': { de: 'Das SIP-Konto wird noch von Telefonbucheinträgen angerufen: {entries}.', en: 'The SIP account is still rung through by phone-book entries: {entries}.' },
  'sip-account.calls-running': { de: 'Über das SIP-Konto „{id}“ laufen gerade {n} Gespräche – bitte nach deren Ende erneut versuchen.', en: 'The SIP account “{id}” carries {n} calls right now – please try again once they ended.' },
  'sip-account.calls-running.1': { de: 'Über das SIP-Konto „{id}“ läuft gerade ein Gespräch – bitte nach dessen Ende erneut versuchen.', en: 'The SIP account “{id}” carries a call right now – please try again once it ended.' },
  'sip-account.port-taken': { de: 'Der lokale Port {port} ist schon belegt.', en: 'The local port {port} is already in use.' },
  'sip-account.entry-unknown': { de: 'Nummer {number}: Den Telefonbucheintrag „{entry}“ gibt es nicht.', en: 'Number {number}: there is no phone-book entry “{entry}”.' },
  'sip-account.terminal-unknown': { de: 'Nummer {number}: Das Terminal „{terminal}“ gibt es nicht.', en: 'Number {number}: there is no terminal “{terminal}”.' },
  'sip-account.number-taken': { de: 'Die Nummer {number} führt schon das SIP-Konto „{account}“.', en: 'The number {number} is already listed by the SIP account “{account}”.' },
  'sip.inbound-password': { de: '{key}: Das Passwort der Telefonanlage fehlt – sie muss sich anmelden.', en: '{key}: the PBX’s password is missing – it must authenticate.' },
  'sip.inbound-number': { de: '{key}: „{number}“ ist keine Rufnummer oder Durchwahl.', en: '{key}: “{number}” is not a number or extension.' },
  'sip.inbound-number-twice': { de: '{key}: Die Nummer „{number}“ ist doppelt aufgeführt.', en: '{key}: the number “{number}” is listed twice.' },
  'sip.inbound-caller-twice': { de: '{key}: Die Anrufer-Kennung „{id}“ ist doppelt vergeben.', en: '{key}: the caller id “{id}” is used twice.' },
  'sip.inbound-source': { de: '{key}: „{source}“ ist keine IP-Adresse.', en: '{key}: “{source}” is not an IP address.' },
  'sip.inbound-terminals-need-sources': { de: '{key}: Die Adressen der Telefonanlage angeben, wenn eine Nummer ein Terminal erreicht (der Anrufer wird deren P-Asserted-Identity entnommen).', en: '{key}: list the PBX’s addresses when a number reaches a terminal (the caller is taken from their P-Asserted-Identity).' },
  'sip.inbound-trust-needs-tls': { de: '{key}: Dem Registrar ohne Anmeldung vertrauen, wenn eine Nummer ein Terminal erreicht, nur mit Transport tls oder wss (eine gefälschte UDP/TCP-Quelle umginge die Anmeldung).', en: '{key}: trusting the registrar without a challenge, when a number reaches a terminal, only with transport tls or wss (a forged UDP/TCP source would skip the challenge).' },
  'sip.codecs': { de: '{key}: jeden Codec nur einmal und PCMU oder PCMA (G.711 wird immer angeboten).', en: '{key}: each codec once, and PCMU or PCMA (G.711 is always offered).' },
  'sip.srtp-needs-tls': { de: '{key}: SRTP braucht transport tls oder wss – die SDES-Schlüssel stehen im SDP.', en: '{key}: SRTP needs transport tls or wss – the SDES keys travel in the SDP.' },
  'srtp.needs-tls': { de: 'SRTP-Angebot ohne TLS abgelehnt: die Schlüssel gingen unverschlüsselt über das Netz.', en: 'SRTP offer without TLS refused: its keys crossed the network unencrypted.' },
  'srtp.off': { de: 'SRTP-Angebot abgelehnt: für dieses Konto ist SRTP aus.', en: 'SRTP offer refused: SRTP is off for this account.' },
  'srtp.no-suite': { de: 'SRTP abgelehnt: keine unterstützte Verschlüsselung (AES_CM_128_HMAC_SHA1_80/_32) angeboten.', en: 'SRTP refused: no supported crypto suite (AES_CM_128_HMAC_SHA1_80/_32) offered.' },
  'srtp.required': { de: 'Unverschlüsselte Medien abgelehnt: dieses Konto verlangt SRTP.', en: 'Plain media refused: this account requires SRTP.' },
  'srtp.malformed': { de: 'Unlesbare a=crypto-Zeile.', en: 'Unreadable a=crypto line.' },
  'srtp.unknown-suite': { de: 'a=crypto mit nicht unterstützter Verschlüsselung.', en: 'a=crypto with an unsupported crypto suite.' },
  'srtp.key-length': { de: 'a=crypto mit falscher Schlüssellänge.', en: 'a=crypto with a wrong key length.' },
  'srtp.mki': { de: 'a=crypto mit MKI oder mehreren Schlüsseln (nicht unterstützt).', en: 'a=crypto with MKI or several keys (not supported).' },
  'srtp.session-params': { de: 'a=crypto mit Sitzungsparametern (nicht unterstützt).', en: 'a=crypto with session parameters (not supported).' },
  'srtp.lifetime': { de: 'a=crypto mit zu langer Schlüssel-Lebensdauer.', en: 'a=crypto with a key lifetime that is too long.' },
  'kiosk.report-rate': { de: 'Zu viele Zustandsberichte: höchstens {limit} pro Minute.', en: 'Too many health reports: at most {limit} a minute.' },
  'permission.missing': { de: 'Dafür fehlt Ihnen die Berechtigung „{permission}“.', en: 'You lack the permission “{permission}”.' },
  'site.id-format': { de: 'Standort-ID: Kleinbuchstaben, Ziffern und Bindestriche, höchstens 63 Zeichen.', en: 'Site id: lower-case letters, digits and hyphens, at most 63 characters.' },
  'site.time-zone': { de: 'Unbekannte Zeitzone „{timeZone}“.', en: 'Unknown time zone “{timeZone}”.' },
  'site.exists': { de: 'Einen Standort mit der ID „{id}“ gibt es schon.', en: 'A site with the id “{id}” exists already.' },
  'entry.name-empty': { de: 'Der Name fehlt.', en: 'The name is missing.' },
  'entry.no-route': { de: 'Ein Eintrag braucht einen Benutzer oder eine Gruppe, damit Anrufe jemanden erreichen.', en: 'An entry needs a user or a group so that calls reach someone.' },
  'entry.reception-group': { de: 'Der Empfang klingelt bei einer Gruppe (Rolle), nicht bei einem einzelnen Benutzer.', en: 'The reception rings a group (role), not a single user.' },
  'device.id-format': { de: 'Geräte-ID: Kleinbuchstaben, Ziffern und Bindestriche, höchstens 63 Zeichen (nicht „doors“).', en: 'Device id: lower-case letters, digits and hyphens, at most 63 characters (not “doors”).' },
  'device.id-uuid': { de: 'Die Geräte-ID darf nicht wie eine UUID aussehen.', en: 'The device id must not look like a UUID.' },
  'device.door-required': { de: 'Eine Türsteuerung braucht eine Tür.', en: 'A door controller needs a door.' },
  'device.exists': { de: 'Ein Gerät „{id}“ gibt es schon.', en: 'A device “{id}” exists already.' },
  'card.window': { de: '„Gültig bis“ muss nach „Gültig ab“ liegen.', en: '“Valid until” must be after “Valid from”.' },
  'user.login-format': { de: 'Benutzername: 2 bis 64 Zeichen aus a–z, 0–9 und . _ @ -', en: 'User name: 2 to 64 characters from a–z, 0–9 and . _ @ -' },
  'user.login-taken': { de: 'Den Benutzernamen „{login}“ gibt es schon.', en: 'The user name “{login}” is taken.' },
  'storage.quota': { de: 'Das Speicherkontingent ist erschöpft ({usedMb} von {quotaMb} MB): bitte Daten löschen oder das Kontingent erhöhen lassen.', en: 'The storage quota is used up ({usedMb} of {quotaMb} MB): delete data or have the quota raised.' },
  'password.too-short': { de: 'Das Passwort braucht mindestens {limit} Zeichen.', en: 'The password needs at least {limit} characters.' },
  'password.too-long': { de: 'Das Passwort hat mehr als {limit} Zeichen.', en: 'The password has more than {limit} characters.' },
  'role.grant-lacking': { de: 'Sie können nur Rechte vergeben oder entziehen, die Sie an jedem Standort selbst haben; Ihnen fehlt: {permissions}.', en: 'You may only grant or remove permissions you hold on every site; you lack: {permissions}.' },
  'role.assign-lacking': { de: 'Sie können nur Rollen zuweisen oder entziehen, deren Rechte Sie an diesem Standort selbst haben; Ihnen fehlt: {permissions}.', en: 'You may only assign or remove roles whose permissions you hold on that site; you lack: {permissions}.' },
  'role.not-found': { de: 'Die Rolle „{id}“ gibt es nicht (mehr).', en: 'The role “{id}” does not exist (any more).' },
  'user.not-found': { de: 'Diesen Benutzer gibt es nicht (mehr).', en: 'This user does not exist (any more).' },
  'user.last-admin': {
    de: 'Das ist der letzte Admin dieser Installation (Benutzerverwaltung an jedem Standort). Machen Sie zuerst einen anderen Benutzer zum Admin – sonst kann niemand mehr Rollen vergeben.',
    en: 'This is the last admin of this installation (user administration on every site). Make another user admin first – otherwise nobody can assign roles any more.',
  },
  'photo.empty': { de: 'Die Datei ist leer.', en: 'The file is empty.' },
  'photo.too-large': { de: 'Das Foto ist größer als {kib} KiB. Bitte eine kleinere Datei wählen.', en: 'The photo is larger than {kib} KiB. Please choose a smaller file.' },
  'photo.svg': { de: 'SVG-Bilder werden abgelehnt, weil sie Skripte enthalten können. Bitte als PNG, JPEG oder WebP hochladen.', en: 'SVG images are refused because they can contain scripts. Please upload PNG, JPEG or WebP.' },
  'photo.type': { de: 'Das ist kein PNG-, JPEG- oder WebP-Bild (geprüft am Inhalt der Datei, nicht am Namen).', en: 'This is not a PNG, JPEG or WebP image (checked by the file’s content, not its name).' },
  'photo.truncated': { de: 'Das Bild ist unvollständig (die Datei endet vor dem Bild). Bitte die Datei erneut speichern und hochladen.', en: 'The image is incomplete (the file ends before the image does). Please save the file again and upload it.' },
  'photo.corrupt': { de: 'Das Bild ist beschädigt und kann nicht gelesen werden.', en: 'The image is damaged and cannot be read.' },
  'photo.dimensions': { de: 'Das Foto hat {width} × {height} Pixel; höchstens {max} Pixel je Seite.', en: 'The photo is {width} × {height} pixels; at most {max} pixels each way.' },
  'photo.none': { de: 'Dieser Eintrag hat kein Foto (mehr).', en: 'This entry has no photo (any more).' },
  'site.not-found': { de: 'Den Standort „{id}“ gibt es nicht (mehr).', en: 'The site “{id}” does not exist (any more).' },
  'door.in-use': { de: 'Die Tür wird noch verwendet von: {holders}. Dort zuerst ändern oder entfernen.', en: 'The door is still used by: {holders}. Change or remove that first.' },
  'door.not-on-site': { de: 'Diese Tür gehört nicht zum Standort {site}.', en: 'This door is not a door of site {site}.' },
  'credential.not-found': { de: 'Dieser Zugang ist gesperrt oder wurde inzwischen gelöscht.', en: 'This credential is revoked or was deleted meanwhile.' },
  'device.not-found': { de: 'Das Gerät „{id}“ gibt es nicht (mehr) – vielleicht wurde es inzwischen gelöscht.', en: 'The device “{id}” does not exist (any more) – it may have been deleted meanwhile.' },
  'card.not-found': { de: 'Diese Karte gibt es nicht (mehr) – vielleicht wurde sie inzwischen gelöscht.', en: 'This card does not exist (any more) – it may have been deleted meanwhile.' },
  'entry.leg-timeout': { de: 'Die Klingeldauer je Ziel muss zwischen {min} und {max} Sekunden liegen.', en: 'The ring time per target must be between {min} and {max} seconds.' },
  'entry.cap': { de: 'Die gesamte Klingeldauer muss zwischen {min} und {max} Sekunden liegen.', en: 'The total ring time must be between {min} and {max} seconds.' },
  'entry.in-use': { de: 'Dieser Eintrag wird noch angerufen – von Türstationen: {stations}; von eingehenden SIP-Nummern (Nummer und Konto): {numbers}. Dort zuerst ein anderes Ziel wählen oder Station bzw. Nummer löschen.', en: 'This entry is still rung – by door stations: {stations}; by inbound SIP numbers (number and account): {numbers}. Choose another target there first, or delete the station or number.' },
  'entry.nobody-available': { de: 'Von diesem Eintrag ist gerade niemand erreichbar.', en: 'Nobody of this entry is available right now.' },
  'consult.in-progress': { de: 'Eine Rückfrage läuft schon: bitte erst übergeben oder abbrechen.', en: 'A consultation is in progress: complete or cancel it first.' },
  'consult.not-answered': { de: 'Die Kollegin oder der Kollege hat noch nicht angenommen.', en: 'The colleague has not answered yet.' },
  'call.refer-failed': { de: 'Die Telefonanlage hat den Anruf nicht weiterverbunden (SIP {status}); der Anruf bleibt bei Ihnen.', en: 'The telephone system did not transfer the call (SIP {status}); the call stays with you.' },
  'call.refer-running': { de: 'Dieser Anruf wird gerade schon weiterverbunden.', en: 'This call is already being transferred.' },
  'call.terminal-busy': { de: 'Dieses Terminal ist schon im Gespräch.', en: 'This terminal is already in a call.' },
  'call.participant-limit': { de: 'Ein Gespräch mit einem Telefon hat höchstens {max} Teilnehmende.', en: 'A call with a telephone takes at most {max} participants.' },
  'call.mix-codec': { de: 'Ein Telefon mit {codec} hört nur eine Person: in dieses Gespräch kann niemand dazukommen.', en: 'A telephone speaking {codec} hears one party only: nobody else can join this call.' },
  'call.mix-limit': { de: 'Das Gateway mischt gerade schon den Ton für {max} Telefone: bitte später noch einmal.', en: 'The gateway already mixes audio for {max} telephones: please try again later.' },
  'call.terminal-offline': { de: 'Dieses Terminal ist nicht verbunden.', en: 'This terminal is not connected.' },
  'call.closed': { de: 'Außerhalb der Öffnungszeiten nimmt dieses Terminal keine Anrufe selbst an.', en: 'Outside opening hours this terminal does not answer calls by itself.' },
  'consult.none': { de: 'Sie führen in diesem Anruf keine Rückfrage.', en: 'You are not consulting a colleague in this call.' },

  'rule.unknown-role': { de: 'Eine Rolle „{role}“ gibt es nicht.', en: 'There is no role “{role}”.' },
  'rule.not-on-site.device': { de: '„{id}“ ist kein Gerät des Standorts {site}.', en: '“{id}” is not a device of site {site}.' },
  'rule.not-on-site.terminal': { de: '„{id}“ ist kein Terminal des Standorts {site}.', en: '“{id}” is not a terminal of site {site}.' },
  'rule.not-on-site.door': { de: '„{id}“ ist keine Tür des Standorts {site}.', en: '“{id}” is not a door of site {site}.' },
  'rule.not-on-site.user': { de: '„{id}“ ist kein Benutzer des Standorts {site}.', en: '“{id}” is not a user of site {site}.' },
  'rule.from-file': { de: 'Die Regel {id} stammt aus der Datei {file}: bitte dort ändern.', en: 'The rule {id} comes from the file {file}: edit it there.' },
  'rule.other-site': { de: 'Die Regel gilt für den Standort {site}.', en: 'The rule is for site {site}.' },
  'rule.topic': { de: 'Das Topic {topic} passt nicht zu {filter}.', en: 'The topic {topic} does not match {filter}.' },
  'rule.payload': { de: 'Nutzdaten: {path} = {value} erfüllt {condition} nicht.', en: 'Payload: {path} = {value} does not satisfy {condition}.' },
  'rule.time': { de: 'Ortszeit {time} ({timeZone}) liegt außerhalb von {from}–{to}.', en: 'Local time {time} ({timeZone}) is outside {from}–{to}.' },
  'rule.day': { de: 'Der Wochentag ({day}) gehört nicht zu {days}.', en: 'The weekday ({day}) is not one of {days}.' },
  'rule.device-offline': { de: 'Das Gerät {device} ist offline.', en: 'The device {device} is offline.' },
  'rule.device-online': { de: 'Das Gerät {device} ist online.', en: 'The device {device} is online.' },
  'rule.terminal-in-call': { de: 'Das Terminal {terminal} ist im Gespräch.', en: 'The terminal {terminal} is in a call.' },
  'rule.cooling-down': { de: 'Pause nach dem letzten Auslösen ({seconds} s).', en: 'Cooling down after the last firing ({seconds} s).' },

  schema: { de: 'Das Feld {field} ist ungültig.', en: 'The field {field} is invalid.' },
  'schema.required': { de: 'Das Feld {field} fehlt.', en: 'The field {field} is missing.' },
  'schema.additionalProperties': { de: 'Das Feld {field} ist hier nicht erlaubt.', en: 'The field {field} is not allowed here.' },
  'schema.type': { de: 'Das Feld {field} hat den falschen Typ (erwartet: {type}).', en: 'The field {field} has the wrong type (expected: {type}).' },
  'schema.pattern': { de: 'Das Feld {field} hat nicht die erlaubte Form.', en: 'The field {field} does not have the allowed form.' },
  'schema.format': { de: 'Das Feld {field} hat nicht das Format {format}.', en: 'The field {field} does not have the format {format}.' },
  'schema.minLength': { de: 'Das Feld {field} braucht mindestens {limit} Zeichen.', en: 'The field {field} needs at least {limit} characters.' },
  'schema.minLength.1': { de: 'Das Feld {field} darf nicht leer sein.', en: 'The field {field} must not be empty.' },
  'schema.maxLength': { de: 'Das Feld {field} hat mehr als {limit} Zeichen.', en: 'The field {field} has more than {limit} characters.' },
  'schema.maxLength.1': { de: 'Das Feld {field} hat mehr als ein Zeichen.', en: 'The field {field} has more than one character.' },
  'schema.minimum': { de: 'Das Feld {field} muss mindestens {limit} sein.', en: 'The field {field} must be at least {limit}.' },
  'schema.maximum': { de: 'Das Feld {field} darf höchstens {limit} sein.', en: 'The field {field} must be at most {limit}.' },
  'schema.enum': { de: 'Das Feld {field} muss einer dieser Werte sein: {allowed}.', en: 'The field {field} must be one of: {allowed}.' },
  'schema.minItems': { de: 'Das Feld {field} braucht mindestens {limit} Einträge.', en: 'The field {field} needs at least {limit} entries.' },
  'schema.minItems.1': { de: 'Das Feld {field} braucht mindestens einen Eintrag.', en: 'The field {field} needs at least one entry.' },
  'schema.maxItems': { de: 'Das Feld {field} hat mehr als {limit} Einträge.', en: 'The field {field} has more than {limit} entries.' },
  'schema.maxItems.1': { de: 'Das Feld {field} hat mehr als einen Eintrag.', en: 'The field {field} has more than one entry.' },
  'request.not-json': { de: 'Die Anfrage ist kein gültiges JSON.', en: 'The request is not valid JSON.' },
  'request.media-type': { de: 'Dieses Format wird hier nicht angenommen.', en: 'This format is not accepted here.' },
  'request.too-large': { de: 'Die Anfrage ist zu groß.', en: 'The request is too large.' },
  'request.empty-body': { de: 'Die Anfrage ist leer.', en: 'The request is empty.' },
  'event.unknown': { de: 'Unbekannte Anfrage ({event}).', en: 'Unknown request ({event}).' },
};

/** What a refusal carries: an HTTP error body, a socket.io ack or an ApiError. */
export interface Refusal { code: string; reason?: string; params?: Record<string, string | number> }

const fill = (text: string, params: Record<string, string | number>): string =>
  Object.entries(params).reduce((s, [k, v]) => s.replaceAll(`{${k}}`, String(v)), text);

/** The refusal in the page's language. */
export function refusalText(r: Refusal, lang: Lang): string {
  const params = r.params ?? {};
  const count = params.limit ?? params.n;
  const key = r.reason && count === 1 && REASONS[`${r.reason}.1`] ? `${r.reason}.1` : r.reason;
  const own = key ? REASONS[key] : undefined;
  if (own) {
    const text = fill(own[lang], params);
    // Rule fields are named in front (the same reason also explains a dry run, where there is no field).
    return key!.startsWith('rule.') && params.field ? fill(REASONS.inRuleField![lang], { field: params.field, text }) : text;
  }
  const generic = BY_CODE[r.code] ?? BY_CODE.internal!;
  return fill(REASONS.withCode![lang], { text: generic[lang], code: r.code });
}

/** Every text of this catalogue (the language test reads them). */
export const ERROR_TEXTS: Record<string, Text> = { ...REASONS, ...Object.fromEntries(Object.entries(BY_CODE).map(([k, v]) => [`code.${k}`, v])) };

// Every text of the kiosk's start screen, in German and English (the site's own
// welcome and privacy texts replace the defaults where an admin set them).
export const S = {
  privacyTitle: { de: 'Datenschutz', en: 'Privacy' },
  privacyDefault: {
    de: 'Kamera und Mikrofon sind nur während eines Gesprächs eingeschaltet. Bild und Ton gehen live an die Person, die Sie anrufen, und werden nicht aufgezeichnet. Gespeichert wird nur, wann wer angerufen wurde und wie lange. Mehr erfahren Sie am Empfang.',
    en: 'The camera and microphone are on only during a call. Picture and sound go live to the person you call and are not recorded. Only when whom was called, and for how long, is stored. Ask at the reception for more.',
  },
  keyboard: { de: 'Bildschirmtastatur', en: 'On-screen keyboard' },
  space: { de: 'Leerzeichen', en: 'Space' },
  backspace: { de: 'Letztes Zeichen löschen', en: 'Delete last character' },
  clear: { de: 'Leeren', en: 'Clear' },
  typeHint: { de: 'Tippen Sie einen Namen oder eine Abteilung.', en: 'Type a name or a department.' },
  results: { de: 'Gefundene Personen und Abteilungen', en: 'People and departments found' },
  logo: { de: 'Logo von {name}', en: '{name} logo' },
} as const;

// Texts of the phone book's photos in the admin page, in German and English.
export const P = {
  photo: { de: 'Foto', en: 'Photo' },
  photoOf: { de: 'Foto von {name}', en: 'Photo of {name}' },
  noPhoto: { de: 'kein Foto', en: 'no photo' },
  photoFile: { de: 'Foto für {name} hochladen (PNG, JPEG oder WebP, höchstens {kib} KiB)', en: 'Upload a photo for {name} (PNG, JPEG or WebP, at most {kib} KiB)' },
  photoSaved: { de: 'Foto von {name} gespeichert.', en: 'Photo of {name} saved.' },
  removePhoto: { de: 'Foto entfernen', en: 'Remove photo' },
  removePhotoLabel: { de: 'Foto entfernen: {name}', en: 'Remove photo: {name}' },
  photoRemoved: { de: 'Foto von {name} entfernt.', en: 'Photo of {name} removed.' },
  photosNote: {
    de: 'Fotos sind personenbezogene Daten: Das Terminal zeigt sie nur, wenn der Startbildschirm des Standorts Fotos erlaubt. Ortsangaben, Kameradaten und andere Metadaten werden beim Hochladen entfernt.',
    en: 'Photos are personal data: the terminal shows them only where the site’s start screen allows photos. Location, camera details and other metadata are removed on upload.',
  },
} as const;

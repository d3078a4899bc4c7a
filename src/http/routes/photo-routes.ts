// Photos of phone-book entries: uploaded (the request body is the image, checked
// by content, size-limited, stored without metadata), shown and removed by whoever
// edits the entry (phonebook.write on its site); served to a paired terminal of
// the entry's site, and to a desk user of that site (call.answer: the ring card),
// only while that site's start screen allows photos.
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { photoTooLarge, type EntryPhotos, type Photo, type PhoneBook } from '../../phonebook/index.ts';
import type { WelcomeScreens } from '../../sites/index.ts';
import { NotFoundError, UnauthenticatedError } from '../../core/index.ts';
import { actorOf, type Auth } from '../auth.ts';
import { imageUploads, sendImage, uploaded } from './image-routes.ts';
import { ErrorBody, IdParams, SiteParams } from './schemas.ts';
import { NoContent, described } from './views.ts';

const PhotoInfo = Type.Object({
  type: Type.String({ description: 'image/png, image/jpeg or image/webp' }), bytes: Type.Integer({ description: 'size as stored (without metadata)' }),
  width: Type.Integer(), height: Type.Integer(), version: Type.Integer({ description: 'counts the uploads: each upload gets its own' }),
});
const Refused = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody };
const Image = {
  description: 'The image as stored (PNG, JPEG or WebP, without metadata)',
  content: Object.fromEntries(['image/png', 'image/jpeg', 'image/webp'].map((type) => [type, { schema: { type: 'string', format: 'binary' } }])),
};

/** Sends a photo as the image it was checked to be; its ETag is the content's hash (versions start again after a removal). */
const sendPhoto = (req: FastifyRequest, reply: FastifyReply, photo: Photo) =>
  sendImage(req, reply, photo, `"${createHash('sha256').update(photo.data).digest('base64url').slice(0, 27)}"`);

export async function photoRoutes(app: FastifyInstance, d: { auth: Auth; phonebook: PhoneBook; photos: EntryPhotos; welcome: Pick<WelcomeScreens, 'showsPhotos'> }): Promise<void> {
  const entrySite = (req: FastifyRequest) => d.phonebook.get((req.params as { id: string }).id).siteId;
  const editor = d.auth.requires('phonebook.write', entrySite);

  app.get<{ Params: Static<typeof SiteParams> }>('/api/sites/:siteId/phonebook/photos', {
    schema: {
      tags: ['phonebook'], summary: "Which of a site's phone-book entries have a photo (type, size, version; no image), and the upload limit", params: SiteParams,
      description: 'photos: by entry id (entries without a photo are missing); maxKib: the upload limit (web.photo_max_kib). The image itself: GET /api/phonebook/{id}/photo. phonebook.write on the site.',
      response: {
        200: Type.Object({ maxKib: Type.Integer(), photos: Type.Record(Type.String(), PhotoInfo) }, { description: 'The photos by entry id, and the upload limit' }),
        401: ErrorBody, 403: ErrorBody,
      },
    },
    preHandler: d.auth.requires('phonebook.write', (req) => (req.params as { siteId: string }).siteId),
  }, async (req) => ({ maxKib: Math.floor(d.photos.maxBytes / 1024), photos: Object.fromEntries(await d.photos.ofSite(req.params.siteId)) }));

  app.get<{ Params: Static<typeof IdParams> }>('/api/phonebook/:id/photo', {
    schema: {
      tags: ['phonebook'], summary: "A phone-book entry's photo", params: IdParams,
      description: 'The image as stored; 404 photo.none without one. phonebook.write on the entry\'s site (a kiosk asks /api/terminal/photos/{id}).',
      response: { 200: Image, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody },
    },
    preHandler: editor,
  }, async (req, reply) => sendPhoto(req, reply, await d.photos.photo(req.params.id)));

  app.delete<{ Params: Static<typeof IdParams> }>('/api/phonebook/:id/photo', {
    schema: {
      tags: ['phonebook'], summary: "Remove a phone-book entry's photo", params: IdParams,
      description: "The kiosk shows the entry's initials again; removing none is fine. Audited (phonebook.photo.remove). phonebook.write on the entry's site.",
      response: { 204: NoContent('Removed'), 401: ErrorBody, 403: ErrorBody, 404: ErrorBody },
    },
    preHandler: editor,
  }, async (req, reply) => { await d.photos.remove(actorOf(req.principal!), req.params.id); return reply.status(204).send(); });

  // The upload in a scope of its own: the body is the image (whatever Content-Type it claims; the content decides) up to web.photo_max_kib.
  await imageUploads(app, () => photoTooLarge(d.photos.maxBytes), (upload) => {
    upload.put<{ Params: Static<typeof IdParams>; Body: Buffer }>('/api/phonebook/:id/photo', {
      schema: {
        tags: ['phonebook'], params: IdParams, response: { 200: described('The photo as stored: type, size, pixels and version', PhotoInfo), ...Refused },
        summary: "Upload a phone-book entry's photo: the request body is a PNG, JPEG or WebP image (checked by content; SVG refused), at most web.photo_max_kib",
        description: 'The request body is the image itself (any Content-Type; the bytes decide: magic number, size in pixels at most 4096 each way, the whole file). '
          + 'Stored without its metadata (EXIF, XMP, comments, thumbnails); replaces the photo the entry had. 400 photo.empty, photo.too-large, photo.svg, '
          + "photo.type, photo.truncated, photo.corrupt or photo.dimensions. Audited (phonebook.photo). phonebook.write on the entry's site.",
      },
      // Who may upload is decided before the body is read.
      bodyLimit: d.photos.maxBytes, onRequest: editor,
    }, async (req) => d.photos.set(actorOf(req.principal!), req.params.id, uploaded(req.body)));
  });

  // A ringing desk's card and its in-call heading show the photo of the entry the visitor chose: for a desk user of the
  // entry's site (call.answer there), under the kiosk's rule — only while the site's start screen shows photos.
  app.get<{ Params: Static<typeof IdParams> }>('/api/desk/photos/:id', {
    schema: {
      tags: ['phonebook'], summary: "The photo of a phone-book entry, for a desk of the entry's site", params: IdParams,
      description: "For a desk user with call.answer on the entry's site (403 for another site's), while that site's start screen shows photos "
        + '(showPhotos); 404 photo.none otherwise, as for an entry without a photo.',
      response: { 200: Image, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody },
    },
    preHandler: d.auth.requires('call.answer', entrySite),
  }, async (req, reply) => {
    const entry = d.phonebook.get(req.params.id);
    if (!(await d.welcome.showsPhotos(entry.siteId))) throw new NotFoundError(`no photo of ${entry.id} for a desk`, { reason: 'photo.none' });
    return sendPhoto(req, reply, await d.photos.photo(entry.id));
  });

  app.get<{ Params: Static<typeof IdParams> }>('/api/terminal/photos/:id', {
    schema: {
      tags: ['terminals'], summary: "The photo of a phone-book entry, for a kiosk of the entry's site", params: IdParams,
      description: "For a paired kiosk (its portier_terminal cookie) of the entry's site, while that site's start screen shows photos (showPhotos); "
        + '404 otherwise, as for an entry without a photo (nothing is told about other sites\' entries).',
      response: { 200: Image, 401: ErrorBody, 404: ErrorBody },
    },
  }, async (req, reply) => {
    const principal = await d.auth.identify(req, ['terminal']);
    const siteId = principal?.scheme === 'terminal' ? principal.credential.siteId : undefined;
    if (!siteId) throw new UnauthenticatedError('this browser is not paired as a terminal');
    const entry = d.phonebook.find(req.params.id);
    if (!entry || entry.siteId !== siteId || !(await d.welcome.showsPhotos(siteId))) {
      throw new NotFoundError(`no photo of ${req.params.id} for this kiosk`, { reason: 'photo.none' });
    }
    return sendPhoto(req, reply, await d.photos.photo(entry.id));
  });
}

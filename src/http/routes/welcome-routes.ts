// The kiosk start screen of a site: its texts and availability setting, and its
// logo (uploaded as the request body, checked by content, size-limited), for the
// admin (site.admin on that site) and for the site's paired terminals.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { logoTooLarge, type Logo, type WelcomeScreens } from '../../sites/index.ts';
import { UnauthenticatedError } from '../../core/index.ts';
import { actorOf, type Auth } from '../auth.ts';
import { imageUploads, sendImage, uploaded } from './image-routes.ts';
import { ErrorBody, SiteParams } from './schemas.ts';
import { NoContent, described } from './views.ts';
import { CueVolume } from './form-fields.ts';

const Texts = (maxLength: number) => Type.Object({
  de: Type.String({ maxLength }), en: Type.String({ maxLength }),
}, { additionalProperties: false });
const WelcomeBody = Type.Object({
  customerName: Type.String({ maxLength: 100 }),
  welcome: Texts(200),
  privacy: Texts(800),
  showAvailability: Type.Boolean(),
  showPhotos: Type.Optional(Type.Boolean({ description: "whether the kiosks show the phone-book entries' photos on their cards (personal data: off by default); kept when absent" })),
  cueVolume: Type.Optional(Type.Integer({ minimum: CueVolume.minimum, maximum: CueVolume.maximum, description: 'how loud the kiosks play their sound cues (ringing, door open, door failed), 0: none; kept when absent' })),
}, { additionalProperties: false });

// What the routes answer (the OpenAPI document shows these shapes).
const Both = Type.Object({ de: Type.String(), en: Type.String() });
const LogoInfo = Type.Object({ type: Type.String(), bytes: Type.Integer(), version: Type.Integer() });
const Screen = {
  siteId: Type.String(), customerName: Type.String(), welcome: Both, privacy: Both, showAvailability: Type.Boolean(),
  showPhotos: Type.Boolean({ description: "whether the kiosks show the phone-book entries' photos" }),
  cueVolume: Type.Integer({ description: 'sound cue volume 0 to 100; 0: none' }),
  logo: Type.Union([LogoInfo, Type.Null()]),
};
const Refused = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody };
/** The logo's bytes, in the type it was checked to be. */
const LogoImage = {
  description: 'The image',
  content: Object.fromEntries(['image/png', 'image/jpeg', 'image/webp'].map((type) => [type, { schema: { type: 'string', format: 'binary' } }])),
};

const siteOf = (req: FastifyRequest) => (req.params as { siteId: string }).siteId;

/** Sends a logo as the image it was checked to be; it can never run as a page (no scripts, no sniffing). */
const sendLogo = (req: FastifyRequest, reply: FastifyReply, logo: Logo) => sendImage(req, reply, logo, `"logo-${logo.version}"`);

export async function welcomeRoutes(app: FastifyInstance, d: { auth: Auth; welcome: WelcomeScreens }): Promise<void> {
  const admin = d.auth.requires('site.admin', siteOf);

  app.get<{ Params: Static<typeof SiteParams> }>('/api/sites/:siteId/welcome', {
    schema: {
      tags: ['sites'], summary: "The site's kiosk start screen, with the logo size limit in KiB", params: SiteParams,
      description: 'The texts (DE/EN) the site\'s kiosks show on their start screen, whether they show employees\' availability, the logo\'s type and size, and the upload limit. site.admin on the site.',
      response: { 200: Type.Object({ ...Screen, logoMaxKib: Type.Integer() }, { description: 'The start screen' }), ...Refused },
    },
    preHandler: admin,
  }, async (req) => ({ ...await d.welcome.get(req.params.siteId), logoMaxKib: Math.floor(d.welcome.maxLogoBytes / 1024) }));

  app.put<{ Params: Static<typeof SiteParams>; Body: Static<typeof WelcomeBody> }>('/api/sites/:siteId/welcome', {
    schema: {
      tags: ['sites'], summary: 'Set the kiosk start screen texts (DE/EN; empty = the kiosk default) and whether availability and photos are shown',
      description: 'Replaces the start screen texts and the availability setting (the photo setting and the cue volume only when given); audited (site.welcome). site.admin on the site.',
      params: SiteParams, body: WelcomeBody, response: { 200: Type.Object(Screen, { description: 'The start screen as stored' }), ...Refused },
    },
    preHandler: admin,
  }, async (req) => d.welcome.set(actorOf(req.principal!), req.params.siteId, req.body));

  app.get<{ Params: Static<typeof SiteParams> }>('/api/sites/:siteId/welcome/logo', {
    schema: {
      tags: ['sites'], summary: "The site's kiosk logo", params: SiteParams, description: 'The uploaded image as it was checked (PNG, JPEG or WebP); 404 without one. site.admin on the site.',
      response: { 200: LogoImage, 404: ErrorBody },
    }, preHandler: admin,
  }, async (req, reply) => sendLogo(req, reply, await d.welcome.logo(req.params.siteId)));

  app.delete<{ Params: Static<typeof SiteParams> }>('/api/sites/:siteId/welcome/logo', {
    schema: {
      tags: ['sites'], summary: "Remove the site's kiosk logo", params: SiteParams, description: 'The kiosks show the customer name instead; audited (site.logo.remove). site.admin on the site.',
      response: { 204: NoContent('Removed'), 404: ErrorBody },
    }, preHandler: admin,
  }, async (req, reply) => { await d.welcome.removeLogo(actorOf(req.principal!), req.params.siteId); return reply.status(204).send(); });

  // The upload in a scope of its own: the body is the image (any declared type; the content decides) up to web.logo_max_kib.
  await imageUploads(app, () => logoTooLarge(d.welcome.maxLogoBytes), (upload) => {
    upload.put<{ Params: Static<typeof SiteParams>; Body: Buffer }>('/api/sites/:siteId/welcome/logo', {
      schema: {
        tags: ['sites'], params: SiteParams, response: { 200: described('The logo as stored: its type, size and version', LogoInfo), ...Refused },
        description: 'The request body is the image itself (any Content-Type; the bytes decide). Audited (site.logo). site.admin on the site.',
        summary: 'Upload the kiosk logo: the request body is a PNG, JPEG or WebP image (checked by content; SVG refused), at most web.logo_max_kib',
      },
      // Who may upload is decided before the body is read.
      bodyLimit: d.welcome.maxLogoBytes, onRequest: admin,
    }, async (req) => d.welcome.setLogo(actorOf(req.principal!), req.params.siteId, uploaded(req.body)));
  });

  /** The paired terminal asking; unauthenticated otherwise. */
  const terminalSite = async (req: FastifyRequest): Promise<string> => {
    const principal = await d.auth.identify(req, ['terminal']);
    const siteId = principal?.scheme === 'terminal' ? principal.credential.siteId : undefined;
    if (!siteId) throw new UnauthenticatedError('this browser is not paired as a terminal');
    return siteId;
  };

  app.get('/api/terminal/welcome', {
    schema: {
      tags: ['terminals'], summary: "The start screen of the terminal's site (logoUrl: where its logo is, null without one)",
      description: 'For a paired kiosk (its portier_terminal cookie): what its start screen shows.',
      response: { 200: Type.Object({ ...Screen, logoUrl: Type.Union([Type.String(), Type.Null()]) }, { description: 'The start screen' }), 401: ErrorBody },
    },
  }, async (req) => {
    const screen = await d.welcome.get(await terminalSite(req));
    return { ...screen, logoUrl: screen.logo ? `/api/terminal/welcome/logo?v=${screen.logo.version}` : null };
  });

  app.get('/api/terminal/welcome/logo', {
    schema: {
      tags: ['terminals'], summary: "The logo of the terminal's site", description: 'For a paired kiosk (its portier_terminal cookie); 404 without a logo.',
      response: { 200: LogoImage, 401: ErrorBody, 404: ErrorBody },
    },
  }, async (req, reply) =>
    sendLogo(req, reply, await d.welcome.logo(await terminalSite(req))));
}

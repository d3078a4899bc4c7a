// Admin API: sites, their doors and opening hours.
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { WEEKDAYS, type Sites, type DoorReferences } from '../../sites/index.ts';
import type { PhoneBook } from '../../phonebook/index.ts';
import { NotFoundError } from '../../core/index.ts';
import { actorOf, type Auth } from '../auth.ts';
import { ErrorBody, SiteParams } from './schemas.ts';
import { SiteId, SiteName, TimeZone } from './form-fields.ts';
import { DoorView, DoorWithStatusView, NoContent, OpeningHoursView, SiteView, described } from './views.ts';

const SiteBody = Type.Object({
  id: SiteId,
  name: SiteName,
  timeZone: TimeZone,
}, { additionalProperties: false });
const Period = Type.Object({
  days: Type.Array(Type.Union(WEEKDAYS.map((d) => Type.Literal(d))), { minItems: 1, maxItems: 7, uniqueItems: true }),
  from: Type.String({ pattern: '^\\d\\d:\\d\\d$' }),
  to: Type.String({ pattern: '^\\d\\d:\\d\\d$' }),
}, { additionalProperties: false });
/** hours null: always open; afterHoursEntryId null: closed outside the hours. */
const HoursBody = Type.Object({
  // The array first: fastify's ajv coerces types, and a null branch first would turn a one-period list into its period.
  hours: Type.Union([Type.Array(Period, { maxItems: 50 }), Type.Null()]),
  afterHoursEntryId: Type.Union([Type.Null(), Type.String({ minLength: 1, maxLength: 64 })]),
}, { additionalProperties: false });
const DoorBody = Type.Object({ name: SiteName }, { additionalProperties: false });
const SitePatch = Type.Object({
  name: Type.Optional(SiteName),
  timeZone: Type.Optional(TimeZone),
}, { additionalProperties: false, minProperties: 1 });
const DoorParams = Type.Object({ siteId: Type.String({ minLength: 1, maxLength: 64 }), doorId: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false });

/** A door's state as the device hub knows it (DeviceHub.doorStatus), by door id. */
export type DoorStatusSource = (siteId: string) => Promise<ReadonlyMap<string, { state: string | null; at: number | null; controller: 'online' | 'offline' | 'none' }>>;
const NO_STATUS = { state: null, locked: null, at: null, controller: 'none' } as const;

export async function siteRoutes(app: FastifyInstance, d: { auth: Auth; sites: Sites; phonebook: PhoneBook; doorStatus: DoorStatusSource; doorReferences: DoorReferences }): Promise<void> {
  app.get('/api/sites', {
    schema: {
      tags: ['sites'], summary: 'List the sites', description: 'Every site with its name and time zone; any signed-in user or token.',
      response: { 200: Type.Array(SiteView, { description: 'The sites' }) },
    },
    preHandler: d.auth.authenticated(),
  }, async () => d.sites.list());

  app.post<{ Body: Static<typeof SiteBody> }>('/api/sites', {
    schema: {
      tags: ['sites'], summary: 'Create a site', description: 'A building or location with its own doors, phone book, terminals and devices; audited (site.create). Deployment-wide site.admin.',
      body: SiteBody, response: { 201: described('The new site', SiteView) },
    },
    preHandler: d.auth.requires('site.admin'),
  }, async (req, reply) => reply.status(201).send(await d.sites.create(actorOf(req.principal!), req.body)));

  app.patch<{ Params: Static<typeof SiteParams>; Body: Static<typeof SitePatch> }>('/api/sites/:siteId', {
    schema: {
      tags: ['sites'], summary: 'Rename a site or change its time zone', params: SiteParams, body: SitePatch,
      description: 'Audited (site.update). site.admin on the site.', response: { 200: described('The site as stored', SiteView) },
    },
    preHandler: d.auth.requires('site.admin', (req) => (req.params as { siteId: string }).siteId),
  }, async (req) => d.sites.update(actorOf(req.principal!), req.params.siteId, req.body));

  app.patch<{ Params: Static<typeof DoorParams>; Body: Static<typeof DoorBody> }>('/api/sites/:siteId/doors/:doorId', {
    schema: {
      tags: ['sites'], summary: 'Rename a door', params: DoorParams, body: DoorBody,
      description: 'Audited (door.update). site.admin on the site.', response: { 200: described('The door as stored', DoorView) },
    },
    preHandler: d.auth.requires('site.admin', (req) => (req.params as { siteId: string }).siteId),
  }, async (req) => d.sites.renameDoor(actorOf(req.principal!), req.params.siteId, req.params.doorId, req.body.name));

  app.delete<{ Params: Static<typeof DoorParams> }>('/api/sites/:siteId/doors/:doorId', {
    schema: {
      tags: ['sites'], summary: 'Delete a door', params: DoorParams,
      description: 'Refused (409 door.in-use, naming them) while a terminal, device, door station, rule or pending command still needs the door; '
        + "its last state and settled commands go with it, and cards that list it lose it (a card that listed only it opens no door). Audited (door.delete). site.admin on the site.",
      response: { 204: NoContent('Deleted'), 403: ErrorBody, 404: ErrorBody, 409: ErrorBody },
    },
    preHandler: d.auth.requires('site.admin', (req) => (req.params as { siteId: string }).siteId),
  }, async (req, reply) => {
    await d.sites.deleteDoor(actorOf(req.principal!), req.params.siteId, req.params.doorId, d.doorReferences);
    return reply.status(204).send();
  });

  app.get<{ Params: Static<typeof SiteParams> }>('/api/sites/:siteId/doors', {
    schema: {
      tags: ['sites'], summary: "List a site's doors", params: SiteParams,
      description: 'The doors terminals, devices and cards refer to, each with its status as the device hub knows it (the last state its controller reported, whether a controller is connected). door.unlock on the site.',
      response: { 200: Type.Array(DoorWithStatusView, { description: 'The doors' }) },
    },
    preHandler: d.auth.requires('door.unlock', (req) => (req.params as { siteId: string }).siteId),
  }, async (req) => {
    await d.sites.get(req.params.siteId);
    const [doors, status] = await Promise.all([d.sites.doors(req.params.siteId), d.doorStatus(req.params.siteId)]);
    return doors.map((door) => ({ ...door, status: status.get(door.id) ?? NO_STATUS }));
  });

  app.post<{ Params: Static<typeof SiteParams>; Body: Static<typeof DoorBody> }>('/api/sites/:siteId/doors', {
    schema: {
      tags: ['sites'], summary: 'Add a door to a site', params: SiteParams, body: DoorBody,
      description: 'Audited (door.create). site.admin on the site.', response: { 201: described('The new door', DoorView) },
    },
    preHandler: d.auth.requires('site.admin', (req) => (req.params as { siteId: string }).siteId),
  }, async (req, reply) => reply.status(201).send(await d.sites.createDoor(actorOf(req.principal!), req.params.siteId, req.body.name)));

  app.get<{ Params: Static<typeof SiteParams> }>('/api/sites/:siteId/opening-hours', {
    schema: {
      tags: ['sites'], summary: "A site's opening hours", params: SiteParams,
      description: "When calls ring the site's routes; outside them a call goes to the after-hours entry or is refused (docs/signaling.md, Opening hours). site.admin on the site.",
      response: { 200: described('The opening hours', OpeningHoursView) },
    },
    preHandler: d.auth.requires('site.admin', (req) => (req.params as { siteId: string }).siteId),
  }, async (req) => d.sites.hours(req.params.siteId));

  app.put<{ Params: Static<typeof SiteParams>; Body: Static<typeof HoursBody> }>('/api/sites/:siteId/opening-hours', {
    schema: {
      tags: ['sites'], summary: "Set a site's opening hours", params: SiteParams, body: HoursBody,
      description: 'hours null: always open; afterHoursEntryId: a phone-book entry of the site, or null (closed outside the hours). Audited (site.hours). site.admin on the site.',
      response: { 200: described('The opening hours as stored', OpeningHoursView) },
    },
    preHandler: d.auth.requires('site.admin', (req) => (req.params as { siteId: string }).siteId),
  }, async (req) => {
    const entryId = req.body.afterHoursEntryId;
    if (entryId !== null && d.phonebook.get(entryId).siteId !== req.params.siteId) throw new NotFoundError(`phone-book entry ${entryId} not found`);
    return d.sites.setHours(actorOf(req.principal!), req.params.siteId, req.body);
  });
}

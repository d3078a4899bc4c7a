// SIP door stations (issue 13, slice 3): the admin makes a station for a site (its
// SIP user, door, the phone-book entry its button rings, how its relay opens) and
// sees its digest secret once; the list says whether each station is registered.
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { type DoorStation, type DoorStations, type StationRelay } from '../../terminals/index.ts';
import { actorOf, type Auth } from '../auth.ts';
import { ErrorBody, IdParams, SiteParams } from './schemas.ts';
import { NoContent, described, open } from './views.ts';
import { RelayCode, StationName, StationSipUser } from './form-fields.ts';

const Relay = Type.Union([
  Type.Object({ way: Type.Literal('sip-info'), code: Type.String({ pattern: RelayCode.pattern, description: 'the DTMF keys the station opens its relay on, e.g. *1' }) }, { additionalProperties: false }),
  Type.Object({ way: Type.Literal('mqtt') }, { additionalProperties: false }),
], { description: "sip-info: Portier sends the code as SIP INFO (application/dtmf-relay) in the call; mqtt: the door's controller gets the unlock command" });
const Nullable = <S extends ReturnType<typeof Type.String>>(s: S) => Type.Union([s, Type.Null()]);
const Fields = {
  name: StationName,
  doorId: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 64 }))),
  sipUser: Type.String({ pattern: StationSipUser.pattern, description: 'the SIP user (and digest user) the station registers and calls as' }),
  entryId: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 64, description: "the phone-book entry its button rings; null: the site's reception" }))),
  relay: Relay,
};
const CreateBody = Type.Object(Fields, { additionalProperties: false });
const PatchBody = Type.Object({
  name: Type.Optional(Fields.name), siteId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })), doorId: Fields.doorId,
  sipUser: Type.Optional(Fields.sipUser), entryId: Fields.entryId, relay: Type.Optional(Relay),
}, { additionalProperties: false, minProperties: 1 });

const RegistrationView = open({
  online: Type.Boolean({ description: 'registered now (a binding that has not expired)' }),
  transport: Type.Optional(Type.String({ description: 'udp, tcp or tls: what it registered over' })),
  contact: Type.Optional(Type.String({ description: 'where the station registered from (host:port; over TCP/TLS its connection)' })),
  expiresAt: Type.Optional(Type.Integer({ description: 'ms since the epoch' })),
});
export const DoorStationView = open({
  id: Type.String(), siteId: Type.String(), doorId: Type.Union([Type.String(), Type.Null()]), name: Type.String(), sipUser: Type.String(),
  entryId: Type.Union([Type.String(), Type.Null()]),
  // The relay's DTMF code opens the door for whoever gets DTMF into the station's call: written, never read back (review s21 #14).
  relay: open({ way: Type.String({ description: 'sip-info or mqtt' }), hasCode: Type.Optional(Type.Boolean({ description: 'sip-info: a code is set (the code itself is write-only)' })) }),
  createdAt: Type.Integer(), updatedAt: Type.Integer(), registration: RegistrationView,
});
const SecretView = open({ station: DoorStationView, secret: Type.String({ description: 'the digest password, shown once; stored sealed' }) });

/** Whether a station is registered now (the SIP registrar's bindings). */
export type StationRegistration = Static<typeof RegistrationView>;

/** How the relay opens, without its code. */
const relayView = (r: StationRelay) => (r.way === 'sip-info' ? { way: r.way, hasCode: r.code !== '' } : { way: r.way });

export interface DoorStationRouteDeps {
  auth: Auth;
  stations: DoorStations;
  /** The registrar's binding of a station; offline without one (or without the registrar). */
  registration(stationId: string): StationRegistration;
}

export async function doorStationRoutes(app: FastifyInstance, d: DoorStationRouteDeps): Promise<void> {
  const view = (s: DoorStation) => ({ ...s, relay: relayView(s.relay), registration: d.registration(s.id) });
  const siteOfStation = async (req: { params: unknown }) => d.stations.get((req.params as Static<typeof IdParams>).id).siteId;

  app.get<{ Params: Static<typeof SiteParams> }>('/api/sites/:siteId/door-stations', {
    schema: {
      tags: ['door-stations'], summary: "A site's SIP door stations", params: SiteParams,
      description: 'Each station with its SIP user, door, entry, relay and whether it is registered now (never its secret, never its relay code: hasCode). terminal.admin on the site.',
      response: { 200: Type.Array(DoorStationView, { description: 'The stations' }) },
    },
    preHandler: d.auth.requires('terminal.admin', (req) => (req.params as Static<typeof SiteParams>).siteId),
  }, async (req) => d.stations.list(req.params.siteId).map(view));

  app.post<{ Params: Static<typeof SiteParams>; Body: Static<typeof CreateBody> }>('/api/sites/:siteId/door-stations', {
    schema: {
      tags: ['door-stations'], summary: 'Make a SIP door station', params: SiteParams, body: CreateBody,
      description: 'The answer carries its digest secret once (stored sealed under the master key). Audited (door-station.create). 409 door-station.user-taken. terminal.admin on the site.',
      response: { 201: described('The station and its secret', SecretView), 400: ErrorBody, 409: ErrorBody },
    },
    preHandler: d.auth.requires('terminal.admin', (req) => (req.params as Static<typeof SiteParams>).siteId),
  }, async (req, reply) => {
    const { station, secret } = await d.stations.create(actorOf(req.principal!), { ...req.body, siteId: req.params.siteId });
    return reply.status(201).send({ station: view(station), secret });
  });

  app.patch<{ Params: Static<typeof IdParams>; Body: Static<typeof PatchBody> }>('/api/door-stations/:id', {
    schema: {
      tags: ['door-stations'], summary: 'Change a SIP door station', params: IdParams, body: PatchBody,
      description: 'Name, site, door, SIP user, entry or relay. Audited (door-station.update). terminal.admin on its site (and on the new one).',
      response: { 200: described('The station as stored', DoorStationView), 400: ErrorBody, 404: ErrorBody, 409: ErrorBody },
    },
    preHandler: d.auth.requires('terminal.admin', siteOfStation),
  }, async (req) => {
    if (req.body.siteId !== undefined) await d.auth.demand(req, 'terminal.admin', req.body.siteId);
    return view(await d.stations.update(actorOf(req.principal!), req.params.id, req.body));
  });

  app.post<{ Params: Static<typeof IdParams> }>('/api/door-stations/:id/secret', {
    schema: {
      tags: ['door-stations'], summary: "A new digest secret for a door station", params: IdParams,
      description: 'Shown once; the old one stops working at once. Audited (door-station.secret). terminal.admin on its site.',
      response: { 200: described('The station and its new secret', SecretView), 404: ErrorBody },
    },
    preHandler: d.auth.requires('terminal.admin', siteOfStation),
  }, async (req) => {
    const { station, secret } = await d.stations.renewSecret(actorOf(req.principal!), req.params.id);
    return { station: view(station), secret };
  });

  app.delete<{ Params: Static<typeof IdParams> }>('/api/door-stations/:id', {
    schema: {
      tags: ['door-stations'], summary: 'Remove a SIP door station', params: IdParams,
      description: 'Its registration ends. Audited (door-station.delete). terminal.admin on its site.',
      response: { 204: NoContent('Removed'), 404: ErrorBody },
    },
    preHandler: d.auth.requires('terminal.admin', siteOfStation),
  }, async (req, reply) => {
    await d.stations.remove(actorOf(req.principal!), req.params.id);
    return reply.status(204).send();
  });
}

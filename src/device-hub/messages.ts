// Inbound device messages: parsed against the contract (payloads.ts), invalid
// ones logged with device and reason, counted and republished to the dead-letter
// topic; valid ones dispatched (acks to the outbox, states to door states) and
// turned into hub events for the rules. Nothing here throws back into the broker.
import type { Logger } from 'pino';
import { TypedEmitter, UnavailableError, type Clock } from '../core/index.ts';
import { ownLeaf, parseDeviceTopic, DEAD_LETTER, type DeviceIdentity } from './topics.ts';
import { parseDeviceMessage, type CommandAckPayload, type DeviceMessage, type Parsed } from './payloads.ts';
import type { DoorOutbox } from './outbox.ts';
import type { DoorStates } from './door-states.ts';

/** What the rules see: a validated message from a device. */
export interface HubEvent {
  siteId: string;
  deviceId: string;
  deviceKind: DeviceIdentity['kind'];
  doorId: string | null;
  terminalId: string | null;
  credentialId: string | null;
  topic: string;
  message: DeviceMessage;
  at: number;
  /**
   * False for a retained publish that is not news: a retained card/event, or a
   * state equal to the stored one (replays on reconnect or restart).
   */
  fresh: boolean;
  previousState?: string;
  /** A door state whose state is not news but whether the door is locked is (fresh stays false: rules act on states). */
  lockChanged?: boolean;
}

export type MessageEvents = { event: [HubEvent]; invalid: [{ deviceId: string; topic: string; reason: string }] };

const HANDLED: Promise<void> = Promise.resolve();

export class DeviceMessages extends TypedEmitter<MessageEvents> {
  readonly #logger: Logger;
  readonly #clock: Clock;
  readonly #outbox: DoorOutbox;
  readonly #states: DoorStates;
  readonly #publish: (topic: string, payload: string) => Promise<void>;
  readonly counters = { valid: 0, invalid: 0, replays: 0 };
  // Messages of one device are handled in order, except acks: they are handed to
  // the outbox in order and written in that order among themselves, but a message
  // after an ack (a state `open`, say) may be handled before the ack is written.
  readonly #chains = new Map<string, Promise<void>>();
  /** Acks handed to the outbox and not yet written (it writes them together, see ack-queue.ts). */
  readonly #acks = new Set<Promise<void>>();

  constructor(deps: { logger: Logger; clock: Clock; outbox: DoorOutbox; states: DoorStates; publish: (topic: string, payload: string) => Promise<void> }) {
    super();
    this.#logger = deps.logger;
    this.#clock = deps.clock;
    this.#outbox = deps.outbox;
    this.#states = deps.states;
    this.#publish = deps.publish;
  }

  /**
   * Handles a message of a device, after any of its messages still in hand;
   * resolves when it has been handled (never rejects). With none in hand, it is
   * handled at once: a card, event or status needs no await and costs no promise.
   * `leaf`: the topic's leaf as the broker's ACL read it (else it is read here).
   */
  receive(device: DeviceIdentity, topic: string, payload: Buffer, retain: boolean, leaf?: string): Promise<void> {
    const previous = this.#chains.get(device.id);
    if (previous) return this.#chain(device, topic, previous.then(() => this.#handle(device, topic, payload, retain, leaf)));
    let work: Promise<void> | undefined;
    try {
      work = this.#handle(device, topic, payload, retain, leaf);
    } catch (error) {
      this.#failed(device, topic, error);
    }
    return work ? this.#chain(device, topic, work) : HANDLED;
  }

  /** Resolves when every queued message has been handled, acks written (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.#chains.size > 0 || this.#acks.size > 0) await Promise.all([...this.#chains.values(), ...this.#acks]);
  }

  /** Makes `work` the device's message in hand until it settles. */
  #chain(device: DeviceIdentity, topic: string, work: Promise<void>): Promise<void> {
    const next = work.catch((error: unknown) => this.#failed(device, topic, error));
    this.#chains.set(device.id, next);
    void next.then(() => { if (this.#chains.get(device.id) === next) this.#chains.delete(device.id); });
    return next;
  }

  #failed(device: DeviceIdentity, topic: string, error: unknown): void {
    this.#logger.error({ device: device.id, topic, err: error }, 'device hub: message handling failed');
  }

  /**
   * The start-up warm-up's part here (see DeviceHub.start): reads a message of
   * `device` as #handle does (topic, payload, contract) `rounds` times and drops
   * it — no event, no counter, nothing written. Answers how many read as valid.
   */
  rehearse(device: DeviceIdentity, topic: string, payload: Buffer, rounds: number): number {
    let valid = 0;
    for (let i = 0; i < rounds; i++) if (this.#read(device, topic, payload)?.ok) valid++;
    return valid;
  }

  /** The message as the contract reads it; undefined: not a device topic. */
  #read(device: DeviceIdentity, topic: string, payload: Buffer, known?: string): Parsed | undefined {
    // The broker's ACL let only the device's own topics through (and read their leaf); others come from tests.
    const leaf = known ?? ownLeaf(device, topic) ?? parseDeviceTopic(topic)?.leaf;
    return leaf === undefined ? undefined : parseDeviceMessage(leaf, payload);
  }

  /** Handles one message; returns a promise only for what must wait (states, dead letters). */
  #handle(device: DeviceIdentity, topic: string, payload: Buffer, retain: boolean, leaf: string | undefined): Promise<void> | undefined {
    const parsed = this.#read(device, topic, payload, leaf);
    if (parsed === undefined) return;
    if (!parsed.ok) return this.#deadLetter(device, topic, payload, parsed.reason);
    this.counters.valid++;
    const message = parsed.message;
    switch (message.leaf) {
      case 'ack':
        return this.#ack(device, topic, message.payload);
      case 'state':
        if (!device.doorId) return this.#deadLetter(device, topic, payload, 'device has no door');
        return this.#state(device, device.doorId, topic, message);
      case 'status':
        return;
      default:
        if (retain) this.counters.replays++;
        this.safeEmit('event', this.#event(device, topic, message, !retain));
    }
  }

  #event(device: DeviceIdentity, topic: string, message: DeviceMessage, fresh: boolean): HubEvent {
    return {
      siteId: device.siteId, deviceId: device.id, deviceKind: device.kind, doorId: device.doorId,
      terminalId: device.terminalId ?? null, credentialId: device.credentialId ?? null, topic, message, at: this.#clock.now(), fresh,
    };
  }

  /**
   * Hands an ack to the outbox, in order, without waiting for it to be written:
   * the outbox writes acks together (ack-queue.ts), so the device's next ack
   * must not wait behind this one.
   */
  #ack(device: DeviceIdentity, topic: string, ack: CommandAckPayload): undefined {
    // Only the door's own controllers settle its commands (a display may hold a doorId too).
    if (device.kind !== 'door' && device.kind !== 'panel') {
      this.#logger.info({ device: device.id, command: ack.id, result: 'not a door controller' }, 'device hub: ack ignored');
      return;
    }
    const written = this.#outbox.acknowledge(device.doorId, device.id, ack).then(
      (r) => { if (r !== 'settled') this.#logger.info({ device: device.id, command: ack.id, result: r }, 'device hub: ack ignored'); },
      (error: unknown) => {
        if (error instanceof UnavailableError) this.#logger.info({ device: device.id, command: ack.id, result: 'hub closed' }, 'device hub: ack ignored');
        else this.#failed(device, topic, error);
      },
    );
    this.#acks.add(written);
    void written.then(() => this.#acks.delete(written));
  }

  async #state(device: DeviceIdentity, doorId: string, topic: string, message: DeviceMessage & { leaf: 'state' }): Promise<void> {
    const at = this.#clock.now();
    const { changed, lockChanged, previous } = await this.#states.report(device.siteId, doorId, device.id, message.payload);
    if (!changed && !lockChanged) this.counters.replays++;
    this.safeEmit('event', { ...this.#event(device, topic, message, changed), at, previousState: previous, ...(lockChanged ? { lockChanged } : {}) });
  }

  async #deadLetter(device: DeviceIdentity, topic: string, payload: Buffer, reason: string): Promise<void> {
    this.counters.invalid++;
    this.#logger.warn({ device: device.id, topic, reason }, 'device hub: invalid payload');
    this.safeEmit('invalid', { deviceId: device.id, topic, reason });
    const text = payload.subarray(0, 1024).toString('utf8');
    await this.#publish(`${DEAD_LETTER}/${device.siteId}/${device.id}`, JSON.stringify({ topic, reason, payload: text, at: this.#clock.now() }));
  }

  protected override onListenerError(event: string, error: unknown): void {
    this.#logger.error({ event, err: error }, 'device hub: event listener failed');
  }
}

// The rules engine: matches hub events against the enabled rules, checks
// conditions (time window in the site's zone, presence, terminal idle), keeps
// delays and cooldowns as persisted timers, runs the actions and audits each
// action and its outcome under one correlation id per firing.
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { TypedEmitter, type Clock, type Reason } from '../../core/index.ts';
import type { AuditLog, Actor } from '../../audit/index.ts';
import type { DoorControl } from '../../sites/index.ts';
import type { HubPorts } from '../ports.ts';
import type { HubEvent } from '../messages.ts';
import type { Timers } from '../timers.ts';
import type { RuleStore } from './rule-store.ts';
import type { Rule, RuleAction } from './rule-schema.ts';
import { topicMatches, failedWhen, failedTime, render, type Why } from './match.ts';
import { notOnSite, onSite, type RuleScope, type ScopedKind } from './rule-scope.ts';

export interface RuleEngineDeps {
  rules: RuleStore;
  timers: Timers;
  doors: DoorControl;
  publish: (topic: string, payload: string, retain: boolean) => Promise<void>;
  ports: HubPorts;
  audit: AuditLog;
  clock: Clock;
  logger: Logger;
  timeZoneOf: (siteId: string) => Promise<string>;
  isOnline: (deviceId: string) => boolean;
  /** What belongs to which site: a rule acts only on its own site. */
  scope: RuleScope;
}

export interface Evaluation {
  rule: string;
  fires: boolean;
  delayed?: boolean;
  /** Why it would not fire, in English (API clients). */
  reasons: string[];
  /** The same as reasons with parameters, in order: the admin page shows them in its language. */
  why: Array<Required<Reason>>;
  actions: RuleAction['type'][];
}

export interface ActionOutcome { type: RuleAction['type']; outcome: 'ok' | 'failed'; detail?: string }

export type RuleEngineEvents = {
  fired: [{ rule: string; correlationId: string; event: HubEvent; outcomes: ActionOutcome[] }];
  skipped: [{ event: HubEvent; why: string }];
};

const ruleActor = (id: string): Actor => ({ type: 'system', id: `rule:${id}` });
const delayKey = (rule: string, topic: string) => `${rule}|${topic}`;

/** A delayed rule's event waits in the store: a card number (personal data) is not kept with it. */
function withoutCardNumber(event: HubEvent): HubEvent {
  if (event.message.leaf !== 'card') return event;
  return { ...event, message: { ...event.message, payload: { ...event.message.payload, card: '[not stored]' } } };
}
const cooldownKey = (rule: string, device: string) => `${rule}|${device}`;

export class RuleEngine extends TypedEmitter<RuleEngineEvents> {
  readonly #d: RuleEngineDeps;
  #rules: Rule[] = [];

  constructor(deps: RuleEngineDeps) {
    super();
    this.#d = deps;
    deps.timers.handle('rule-delay', (key, data) => this.#delayed(key, data as { rule: string; event: HubEvent }));
    deps.timers.handle('cooldown', async () => {});
  }

  get rules(): readonly Rule[] { return this.#rules; }

  /** Loads the enabled rules from the store (after an edit or a file reload). */
  async reload(): Promise<void> {
    this.#rules = (await this.#d.rules.list()).filter((r) => r.enabled).map((r) => r.definition);
  }

  async handle(event: HubEvent): Promise<void> {
    if (!event.fresh) {
      this.safeEmit('skipped', { event, why: 'retained replay or unchanged state' });
      return;
    }
    for (const rule of this.#rules) {
      try {
        await this.#consider(rule, event);
      } catch (error) {
        this.#d.logger.error({ rule: rule.id, err: error }, 'rules: rule failed');
      }
    }
  }

  /** Evaluates a sample event against every rule without acting. */
  async dryRun(event: HubEvent): Promise<Evaluation[]> {
    const out: Evaluation[] = [];
    for (const rule of this.#rules) {
      const whys = await this.#why(rule, event);
      const fires = whys.length === 0;
      out.push({
        rule: rule.id, fires, delayed: fires && rule.delay_seconds !== undefined ? true : undefined,
        reasons: whys.map((w) => w.message), why: whys.map(({ reason, params }) => ({ reason, params })), actions: rule.actions.map((a) => a.type),
      });
    }
    return out;
  }

  /** Why a rule would not fire for `event` (empty: it fires). */
  async #why(rule: Rule, event: HubEvent, ignoreCooldown = false): Promise<Why[]> {
    if (rule.site !== event.siteId) return [{ message: `rule is for site ${rule.site}`, reason: 'rule.other-site', params: { site: rule.site } }];
    if (!topicMatches(rule.trigger.topic, event.topic)) {
      return [{ message: `topic ${event.topic} does not match ${rule.trigger.topic}`, reason: 'rule.topic', params: { topic: event.topic, filter: rule.trigger.topic } }];
    }
    const reasons: Why[] = [];
    const foreign = (kind: 'device' | 'terminal', id: string): Why => ({ message: notOnSite(kind, id, rule.site), reason: `rule.not-on-site.${kind}`, params: { id, site: rule.site } });
    const when = failedWhen(rule.trigger.when, event.message.payload);
    if (when) reasons.push(when);
    const c = rule.conditions;
    if (c?.time) {
      const t = failedTime(c.time, this.#d.clock.now(), await this.#d.timeZoneOf(rule.site));
      if (t) reasons.push(t);
    }
    // Another site's devices and terminals are neither conditions nor probes: their state is not looked at.
    for (const p of c?.presence ?? []) {
      if (!(await onSite(this.#d.scope, 'device', p.device, rule.site))) reasons.push(foreign('device', p.device));
      else if (this.#d.isOnline(p.device) !== p.online) {
        reasons.push({ message: `device ${p.device} is ${p.online ? 'offline' : 'online'}`, reason: p.online ? 'rule.device-offline' : 'rule.device-online', params: { device: p.device } });
      }
    }
    if (c?.terminal_idle) {
      if (!(await onSite(this.#d.scope, 'terminal', c.terminal_idle, rule.site))) reasons.push(foreign('terminal', c.terminal_idle));
      else if (this.#d.ports.calls?.isInCall(c.terminal_idle)) {
        reasons.push({ message: `terminal ${c.terminal_idle} is in a call`, reason: 'rule.terminal-in-call', params: { terminal: c.terminal_idle } });
      }
    }
    if (!ignoreCooldown && rule.cooldown_seconds && await this.#d.timers.pending('cooldown', cooldownKey(rule.id, event.deviceId))) {
      reasons.push({ message: `cooling down (${rule.cooldown_seconds} s)`, reason: 'rule.cooling-down', params: { seconds: rule.cooldown_seconds } });
    }
    return reasons;
  }

  async #consider(rule: Rule, event: HubEvent): Promise<void> {
    if (rule.site !== event.siteId || !topicMatches(rule.trigger.topic, event.topic)) return;
    if (rule.delay_seconds) {
      const key = delayKey(rule.id, event.topic);
      if (failedWhen(rule.trigger.when, event.message.payload)) {
        await this.#d.timers.cancel('rule-delay', key);
        return;
      }
      if (await this.#d.timers.pending('rule-delay', key)) return;
      await this.#d.timers.schedule('rule-delay', key, this.#d.clock.now() + rule.delay_seconds * 1000, { rule: rule.id, event: withoutCardNumber(event) });
      return;
    }
    if ((await this.#why(rule, event)).length === 0) await this.#fire(rule, event);
  }

  async #delayed(_key: string, data: { rule: string; event: HubEvent }): Promise<void> {
    const rule = this.#rules.find((r) => r.id === data.rule);
    if (!rule) return;
    // The trigger held for the whole delay; conditions are checked now, when it fires.
    const reasons = (await this.#why(rule, data.event)).filter((r) => r.reason !== 'rule.payload');
    if (reasons.length === 0) await this.#fire(rule, data.event);
  }

  async #fire(rule: Rule, event: HubEvent): Promise<void> {
    const correlationId = randomUUID();
    const actor = ruleActor(rule.id);
    if (rule.cooldown_seconds) {
      await this.#d.timers.schedule('cooldown', cooldownKey(rule.id, event.deviceId), this.#d.clock.now() + rule.cooldown_seconds * 1000);
    }
    await this.#d.audit.append({ actor, action: 'rule.fire', target: { type: 'rule', id: rule.id }, outcome: 'ok', siteId: rule.site, correlationId, details: { device: event.deviceId, topic: event.topic } });
    const outcomes: ActionOutcome[] = [];
    for (const action of rule.actions) {
      const outcome = await this.#run(action, rule, event, correlationId).then(
        (detail): ActionOutcome => ({ type: action.type, outcome: 'ok', detail }),
        (error: unknown): ActionOutcome => ({ type: action.type, outcome: 'failed', detail: error instanceof Error ? error.message : String(error) }),
      );
      outcomes.push(outcome);
      await this.#d.audit.append({ actor, action: `rule.action.${action.type}`, target: { type: 'rule', id: rule.id }, outcome: outcome.outcome, siteId: rule.site, correlationId, details: { detail: outcome.detail } });
    }
    this.safeEmit('fired', { rule: rule.id, correlationId, event, outcomes });
  }

  async #run(action: RuleAction, rule: Rule, event: HubEvent, correlationId: string): Promise<string | undefined> {
    const ctx = { device: event.deviceId, site: event.siteId, topic: event.topic, door: event.doorId, payload: event.message.payload };
    const cause = ruleActor(rule.id);
    const { ports } = this.#d;
    switch (action.type) {
      case 'door.unlock': {
        const doorId = String(render(action.door, ctx));
        await this.#sameSite(rule, 'door', doorId);
        // The outbox audits acknowledgement or expiry under the same correlation id.
        const pending = this.#d.doors.unlock({ doorId, seconds: action.seconds, issuedBy: cause, correlationId });
        pending.catch(() => {});
        return `door ${doorId}`;
      }
      case 'mqtt.publish': {
        const topic = String(render(action.topic, ctx));
        if (topic.includes('#') || topic.includes('+') || topic.startsWith('$')) throw new Error(`bad topic ${topic}`);
        // Only inside the rule's own site, and never a door command: doors open through the outbox.
        if (!topic.startsWith(`portier/${rule.site}/`) || /^portier\/[^/]+\/doors\//.test(topic)) {
          throw new Error(`rule of site ${rule.site} may not publish to ${topic}`);
        }
        const payload = render(action.payload, ctx);
        await this.#d.publish(topic, typeof payload === 'string' ? payload : JSON.stringify(payload), action.retain ?? false);
        return topic;
      }
      case 'terminal.show':
        if (!ports.terminals) throw new Error('no terminal content service (signaling not running)');
        await this.#sameSite(rule, 'terminal', String(render(action.terminal, ctx)));
        await ports.terminals.show({ terminalId: String(render(action.terminal, ctx)), content: action.content, message: action.message, durationSeconds: action.duration_seconds, cause, correlationId });
        return action.terminal;
      case 'call.start': {
        if (!ports.calls) throw new Error('no call service (signaling not running)');
        await this.#sameSite(rule, 'terminal', String(render(action.terminal, ctx)));
        const { callId } = await ports.calls.start({ terminalId: String(render(action.terminal, ctx)), target: action.target, cause, correlationId });
        return `call ${callId}`;
      }
      case 'desk.notify':
        if (!ports.desks) throw new Error('no desk notifier (signaling not running)');
        if (action.user !== undefined) await this.#sameSite(rule, 'user', action.user);
        await ports.desks.notify({ siteId: rule.site, role: action.role, userId: action.user, text: typeof action.text === 'string' ? String(render(action.text, ctx)) : action.text, severity: 'info', correlationId });
        return action.role ?? action.user;
    }
  }

  async #sameSite(rule: Rule, kind: ScopedKind, id: string): Promise<void> {
    if (!(await onSite(this.#d.scope, kind, id, rule.site))) throw new Error(notOnSite(kind, id, rule.site));
  }

  protected override onListenerError(event: string, error: unknown): void {
    this.#d.logger.error({ event, err: error }, 'rules: listener failed');
  }
}

// The rules' dry run: a sample message from one of the site's devices is checked
// against the active rules; the page lists which would fire and, for the others, why not.
import { useEffect, useState } from 'preact/hooks';
import type { Evaluation } from '../../../src/device-hub/index.ts';
import { api } from '../lib/api.ts';
import { refusalText } from '../lib/error-texts.ts';
import { lang, useRefusal, useTexts } from '../lib/i18n.tsx';
import { T } from './texts.ts';

/** A rule's actions as words; a type this page does not know yet as it is. */
const ACTIONS: Record<string, keyof typeof T> = {
  'door.unlock': 'actionDoorUnlock', 'desk.notify': 'actionDeskNotify', 'terminal.show': 'actionTerminalShow',
  'call.start': 'actionCallStart', 'mqtt.publish': 'actionMqttPublish',
};

const topicOf = (site: string, device: string) => (device ? `portier/${site}/${device}/event` : '');

export function DryRun(props: { site: string; devices: Array<{ id: string }> }) {
  const t = useTexts(T);
  const refusal = useRefusal();
  const [device, setDevice] = useState('');
  const [topic, setTopic] = useState('');
  const [payload, setPayload] = useState('{ "type": "motion" }');
  const [result, setResult] = useState<Evaluation[] | null>(null);
  const [error, setError] = useState<unknown>(null);

  // Only this site's devices can be tried: keep the choice while it is one of them.
  useEffect(() => {
    if (props.devices.some((d) => d.id === device)) return;
    const first = props.devices[0]?.id ?? '';
    setDevice(first);
    setTopic(topicOf(props.site, first));
  }, [props.site, props.devices]);
  useEffect(() => setResult(null), [props.site]);

  const choose = (id: string) => {
    setDevice(id);
    setTopic(topicOf(props.site, id));
  };
  const evaluate = async (e: Event) => {
    e.preventDefault();
    setError(null);
    setResult(null);
    let body: unknown;
    try { body = JSON.parse(payload); } catch { setError({ code: 'invalid', reason: 'request.not-json' }); return; }
    try { setResult(await api<Evaluation[]>('POST', '/api/rules/dry-run', { deviceId: device, topic, payload: body })); }
    catch (err) { setError(err); }
  };

  return (
    <form onSubmit={(e) => void evaluate(e)} aria-labelledby="dry-run-heading">
      <h3 id="dry-run-heading">{t('dryRun')}</h3>
      <label for="dry-run-device">{t('dryRunDevice')}</label>
      <select id="dry-run-device" value={device} onChange={(e) => choose((e.target as HTMLSelectElement).value)} required>
        {props.devices.map((d) => <option key={d.id} value={d.id} data-user-text>{d.id}</option>)}
      </select>
      <label for="dry-run-topic">{t('topic')}</label>
      <input id="dry-run-topic" class="wide" value={topic} onInput={(e) => setTopic((e.target as HTMLInputElement).value)} maxLength={256} required />
      <label for="dry-run-payload">{t('payloadJson')}</label>
      <textarea id="dry-run-payload" class="code" rows={4} spellcheck={false} value={payload}
        onInput={(e) => setPayload((e.target as HTMLTextAreaElement).value)} required />
      <div class="controls"><button type="submit" class="primary">{t('evaluate')}</button></div>
      {error !== null && <p role="alert" class="error">{refusal(error)}</p>}
      <div aria-live="polite">
        {result && (result.length === 0 ? <p>{t('noRulesEvaluated')}</p> : (
          <ul>{result.map((r) => (
            <li key={r.rule}>
              <strong data-user-text>{r.rule}</strong>: {r.fires ? (r.delayed ? t('firesDelayed') : t('fires')) : t('doesNotFire')}
              {r.fires ? <> ({r.actions.map((a, i) => <>{i > 0 && ', '}{ACTIONS[a] ? t(ACTIONS[a]) : <span data-user-text>{a}</span>}</>)})</> : (
                // Each reason in the page's language (the gateway's English `reasons` are for API clients).
                <ul>{r.why.map((w, i) => <li key={i}>{refusalText({ code: 'invalid', ...w }, lang())}</li>)}</ul>
              )}
            </li>
          ))}</ul>
        ))}
      </div>
    </form>
  );
}

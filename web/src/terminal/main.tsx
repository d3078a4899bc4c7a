// The lobby terminal (/terminal): phone-book search, call, cancel, hang up,
// local preview and remote video, clear states, automatic return to the start.
// Runs unattended for days: socket.io reconnects by itself, a wake lock keeps
// the screen on, every call's media is closed when it ends.
import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { io, type Socket } from 'socket.io-client';
import { credentialCheck, retryRefusedConnects } from '../lib/socket-retry.ts';
import type { CallStateMessage, DoorState, TerminalShowMessage } from '../../../src/signaling/contract.ts';
import { api } from '../lib/api.ts';
import { useRefusal, useTexts } from '../lib/i18n.tsx';
import { installFormMessages } from '../lib/form-check.ts';
import { Audio, Shell, Video } from '../lib/ui.tsx';
import { CallMediaClient } from '../lib/call-media.ts';
import { SignalQuality } from '../lib/signal-quality.tsx';
import { T } from './texts.ts';
import { StartScreen, type Entry } from './start-screen.tsx';
import { healthReports } from './health-report.ts';
import { playChime } from './chime.ts';
import { CuePlayer } from './cues.ts';

/** Keeps the kiosk's screen on (re-acquired when the page is visible again or motion wakes it). */
function lockScreen(): void {
  void (navigator as Navigator & { wakeLock?: { request(t: string): Promise<unknown> } }).wakeLock?.request('screen').catch(() => undefined);
}

const RELOAD_AFTER_CALLS = 20;

/** `callback`: a telephone called this terminal and it answered by itself (who is connected). */
type View = { kind: 'start' } | { kind: 'call'; callId: string; name: string; state: CallStateMessage; callback?: { caller: string; moved?: true } } | { kind: 'ended'; outcome: string };

function Pairing() {
  const t = useTexts(T);
  const [code, setCode] = useState('');
  const refusal = useRefusal();
  const [error, setError] = useState<unknown>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    try { await api('POST', '/api/terminal/pair', { code }); location.reload(); } catch (err) { setError(err); }
  };
  return (
    <form class="card pairing" onSubmit={submit}>
      <h1>{t('pairTitle')}</h1><p>{t('pairHelp')}</p>
      <label for="code">{t('pairCode')}</label>
      <input id="code" name="code" inputMode="numeric" autoComplete="off" value={code} onInput={(e) => setCode((e.target as HTMLInputElement).value)} />
      <button class="big primary" type="submit">{t('pairButton')}</button>
      {error !== null && <p role="alert" class="error">{refusal(error)}</p>}
    </form>
  );
}

/** How long "the door is open" stays on screen; a failure stays until the call ends (not on the ended screen). */
const DOOR_OPEN_SHOWN_MS = 8000;

function Terminal(props: { socket: Socket; unpaired: () => void }) {
  const t = useTexts(T);
  const { socket, unpaired } = props;
  const [view, setView] = useState<View>({ kind: 'start' });
  const viewRef = useRef(view);
  /** A call the gateway started while the page opens the camera for it: its latest step (call.state may come meanwhile). */
  const startingCall = useRef<CallStateMessage | null>(null);
  /** The last call.caller (the PBX moved a callback to another listed caller). */
  const movedCaller = useRef<{ callId: string; name: string } | null>(null);
  viewRef.current = view;
  /** An admin's remote reload that came during a call: done once the page is back at the start. */
  const reloadWanted = useRef(false);
  const [local, setLocal] = useState<MediaStream | null>(null);
  const [remote, setRemote] = useState<MediaStream | null>(null);
  /** A telephone's early media (ringback, an announcement), played while the call rings. */
  const [early, setEarly] = useState<MediaStream | null>(null);
  const [door, setDoor] = useState<DoorState | null>(null);
  /** The last door message this page handled ("<callId>:<state>"): tests wait on it before asserting what it did not show. */
  const [doorSeen, setDoorSeen] = useState<string | null>(null);
  /** The chime of a call the terminal answered by itself: played, or blocked by the browser. */
  const [chime, setChime] = useState<'played' | 'blocked' | null>(null);
  /** The sound cues asked for and what became of each ("ringing:played door-open:blocked"), shown as data-cues. */
  const [cueLog, setCueLog] = useState('');
  const cues = useRef<CuePlayer | null>(null);
  cues.current ??= new CuePlayer(0, (log) => setCueLog(log.join(' ')));
  /** The ringing already cued ("<callId>:<routeIndex>"): each step of the call (host, then reception) rings once. */
  const ringCued = useRef<string | null>(null);
  const [online, setOnline] = useState(socket.connected);
  const [content, setContent] = useState<TerminalShowMessage | null>(null);
  const media = useRef<CallMediaClient | null>(null);
  // The current camera/microphone stream, for handlers registered once (reconnect).
  const localRef = useRef<MediaStream | null>(null);
  // State, not a ref: the reception button must be there as soon as the entry is known.
  const [reception, setReception] = useState<Entry | null>(null);

  const endMedia = () => {
    media.current?.close(); media.current = null;
    localRef.current?.getTracks().forEach((tr) => tr.stop());
    localRef.current = null;
    setLocal(null); setRemote(null); setEarly(null);
  };

  // The door's state outlives the call by a little ("come in" after the host hung up), not the next visitor.
  // The call whose door the banner may show: a late outcome of an earlier call never reaches the next visitor.
  const doorCall = useRef<string | null>(null);
  const toStart = () => { endMedia(); doorCall.current = null; setDoor(null); setChime(null); setView({ kind: 'start' }); };

  // The site's cue volume, read again at each return to the start (an admin may have changed it); silent until known.
  useEffect(() => {
    if (view.kind !== 'start') return;
    void api<{ cueVolume: number }>('GET', '/api/terminal/welcome').then((w) => { cues.current!.volume = w.cueVolume; }, () => undefined);
  }, [view.kind]);
  // The visitor's touch is the one moment the browser lets audio start (autoplay policy).
  useEffect(() => {
    const unlock = () => cues.current?.unlock();
    document.addEventListener('pointerdown', unlock, true);
    document.addEventListener('keydown', unlock, true);
    return () => { document.removeEventListener('pointerdown', unlock, true); document.removeEventListener('keydown', unlock, true); cues.current?.close(); };
  }, []);
  /** Rings once per step of a call: the host, then the reception. */
  const cueRinging = (callId: string, state: CallStateMessage) => {
    if (state.step !== 'ringing') return;
    const key = `${callId}:${state.routeIndex ?? 0}`;
    if (ringCued.current === key) return;
    ringCued.current = key;
    cues.current?.play('ringing');
  };

  useEffect(() => {
    const onState = (m: CallStateMessage) => {
      if (m.callId === startingCall.current?.callId) startingCall.current = m;
      if (m.callId === doorCall.current) cueRinging(m.callId, m);
      // At once (not with the next render): the answering desk's producers are announced right after this.
      if (m.step === 'answered' && media.current?.callId === m.callId) media.current.answered();
      // The desk that answered handed the call on and left: its (now silent) video must not stay on screen.
      if (m.step === 'transferring' && media.current?.callId === m.callId) media.current.transferring();
      // Once the call is over, "please wait – the person you called has been told" is no longer true.
      if (m.step === 'ended' && m.callId === doorCall.current) setDoor((d) => (d === 'failed' ? null : d));
      setView((v) => {
        if (v.kind !== 'call' || v.callId !== m.callId) return v;
        if (m.step === 'ended') return { kind: 'ended', outcome: m.outcome ?? 'failed' };
        return { ...v, state: m };
      });
    };
    const onProducer = (m: { callId: string; producerId: string; early?: true }) => void media.current?.consume(m.producerId, { early: m.early });
    let doorTimer: ReturnType<typeof setTimeout> | undefined;
    const onDoor = (m: { callId: string; state: DoorState }) => {
      if (m.callId !== doorCall.current) return;
      clearTimeout(doorTimer);
      setDoorSeen(`${m.callId}:${m.state}`);
      // A refusal that comes after the call ended: nobody is waiting on it any more (the "opening" line goes).
      if (m.state === 'failed' && viewRef.current.kind !== 'call') { setDoor(null); return; }
      setDoor(m.state);
      if (m.state === 'open') cues.current?.play('door-open');
      if (m.state === 'failed') cues.current?.play('door-failed');
      if (m.state === 'open') doorTimer = setTimeout(() => setDoor((d) => (d === 'open' ? null : d)), DOOR_OPEN_SHOWN_MS);
    };
    socket.on('call.state', onState);
    socket.on('media.producer', onProducer);
    // A desk left (the one who added a colleague, say): its last frame must not stay on screen.
    socket.on('media.producer-closed', (m: { callId: string; producerId: string }) => { if (media.current?.callId === m.callId) media.current.producerClosed(m.producerId); });
    // A telephone answered in G.711: send the microphone in its codec.
    socket.on('media.codec', (m: { callId: string; audioCodec: string }) => {
      if (media.current?.callId === m.callId) void media.current.produceAudioIn(m.audioCodec);
    });
    socket.on('door.state', onDoor);
    // Each content for its own duration: an earlier one's end must not take a later one off the screen.
    let contentTimer: ReturnType<typeof setTimeout> | undefined;
    socket.on('terminal.show', (m: TerminalShowMessage) => {
      clearTimeout(contentTimer);
      setContent(m);
      contentTimer = setTimeout(() => setContent(null), m.durationS * 1000);
    });
    const loadReception = () => void socket.emitWithAck('phonebook.reception', {}).then((r) => setReception(r.ok ? r.entry : null));
    socket.on('connect', () => { setOnline(true); loadReception(); });
    // Revoked or re-paired elsewhere: the gateway closes the socket (and refuses it from then on).
    // If this browser's pairing is gone, go back to the pairing screen instead of "reconnecting" forever.
    const pairing = credentialCheck(socket, '/api/terminal/me', unpaired);
    socket.on('disconnect', (reason: string) => { setOnline(false); if (reason === 'io server disconnect') pairing.check(); });
    // A refusal for another reason (a busy store, say) is tried again: the notice says "reconnecting".
    retryRefusedConnects(socket, (reason) => { if (reason === 'unauthenticated') pairing.check(); });
    socket.on('call.resume', async (m: { callId: string; state: CallStateMessage }) => {
      // Back within the grace period: start the call's media afresh.
      if (!media.current) return;
      media.current.close();
      const fresh = new CallMediaClient(socket, m.callId, { answered: m.state.step === 'answered', onEarly: setEarly });
      media.current = fresh;
      if (localRef.current) await fresh.start(localRef.current);
      setRemote(fresh.remote); setEarly(null);
    });
    socket.on('call.started', async (m: { callId: string; state: CallStateMessage; audioCodec: string; callback?: { caller: string } }) => {
      if (m.state.step === 'ended') { setView({ kind: 'ended', outcome: m.state.outcome ?? 'failed' }); return; }
      // A telephone called this terminal: it answered by itself — chime at once, before the camera opens.
      if (m.callback) void playChime().then(setChime);
      // Steps that come while the camera opens (a desk answers) are kept: the call begins at the latest one.
      startingCall.current = m.state;
      const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 1280, height: 720 } });
      const latest = startingCall.current?.callId === m.callId ? startingCall.current : m.state;
      startingCall.current = null;
      if (latest.step === 'ended') { stream.getTracks().forEach((tr) => tr.stop()); setView({ kind: 'ended', outcome: latest.outcome ?? 'failed' }); return; }
      await begin(stream, m.callId, '', latest, m.audioCodec, m.callback);
    });
    // The caller's PBX moved the callback to another telephone (REFER): the notice names who sees and hears the lobby now.
    // Kept for its call: a move may be told before the page showed the call (call.started waits for the camera).
    socket.on('call.caller', (m: { callId: string; name: string }) => {
      movedCaller.current = m;
      setView((v) => (v.kind === 'call' && v.callId === m.callId && v.callback ? { ...v, callback: { caller: m.name, moved: true } } : v));
    });
    socket.on('terminal.wake', () => { lockScreen(); setContent(null); });
    // An admin reloads this kiosk remotely (terminal.admin, audited): at once on the start
    // screen, never under a visitor's call — then as soon as the page is back at the start.
    socket.on('terminal.reload', () => { if (viewRef.current.kind === 'start') location.reload(); else reloadWanted.current = true; });
    // Only now, with every listener in place: a socket that connected before this effect ran
    // (a loaded machine paints late) left the kiosk "reconnecting" for good.
    socket.connect();
    return () => { clearTimeout(doorTimer); clearTimeout(contentTimer); pairing.cancel(); socket.removeAllListeners(); };
  }, [socket]);

  // The kiosk's health for the gateway (page, camera, microphone, last activity): read at each report.
  useEffect(() => { if (view.kind === 'start' && reloadWanted.current) location.reload(); }, [view.kind]);
  const health = useRef<ReturnType<typeof healthReports> | null>(null);
  useEffect(() => {
    const h = healthReports(socket, () => ({ page: viewRef.current.kind, stream: localRef.current }));
    health.current = h;
    return () => { h.stop(); health.current = null; };
  }, [socket]);
  useEffect(() => { health.current?.changed(); }, [view.kind]);

  const callsSinceLoad = useRef(0);
  useEffect(() => {
    if (view.kind !== 'ended') return;
    endMedia();
    const timer = setTimeout(() => {
      // Chromium keeps some per-call state of closed peer connections (the soak
      // benchmark measures it); an idle kiosk starts afresh every RELOAD_AFTER_CALLS calls.
      callsSinceLoad.current += 1;
      if (callsSinceLoad.current >= RELOAD_AFTER_CALLS) { location.reload(); return; }
      toStart();
    }, 6000);
    return () => clearTimeout(timer);
  }, [view.kind]);

  const call = async (entry: Entry) => {
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 1280, height: 720 } });
    const r = await socket.emitWithAck('call.start', { entryId: entry.id });
    // The call may already be over when it starts (nobody can take it): show that, never "calling …".
    if (!r.ok || r.state.step === 'ended') {
      stream.getTracks().forEach((tr) => tr.stop());
      // Outside the opening hours with no after-hours route the gateway refuses with `closed`: say so and what to do.
      setView({ kind: 'ended', outcome: r.ok ? r.state.outcome ?? 'failed' : r.error === 'closed' ? 'closed' : 'failed' });
      return;
    }
    await begin(stream, r.callId, entry.name, r.state, r.audioCodec);
  };

  /** Shows the call and sends camera and microphone (after call.start, or when the gateway started the call). */
  const begin = async (stream: MediaStream, callId: string, name: string, state: CallStateMessage, audioCodec: string, callback?: { caller: string }) => {
    setLocal(stream);
    localRef.current = stream;
    doorCall.current = callId;
    const moved = movedCaller.current?.callId === callId ? movedCaller.current : undefined;
    setView({ kind: 'call', callId, name, state, ...(callback ? { callback: moved ? { caller: moved.name, moved: true } : callback } : {}) });
    cueRinging(callId, state);
    // While the call rings, what ringing desks send is consumed (paused at the gateway) but not shown.
    const m = new CallMediaClient(socket, callId, { answered: state.step === 'answered', onEarly: setEarly });
    media.current = m;
    setRemote(m.remote);
    await m.start(stream, audioCodec);
  };

  /** Hang up (or cancel while it rings): the visitor always gets back to the start, whatever the gateway answers. */
  const hangup = async () => {
    if (view.kind !== 'call') return;
    const answered = view.state.step === 'answered';
    const r = await socket.timeout(5000).emitWithAck('call.hangup', { callId: view.callId }).catch(() => ({ ok: false }));
    // Cancelling goes straight back to the start; a hang-up shows "goodbye" first (via call.state).
    if (!answered || !r.ok) toStart();
  };

  const stateText = (v: Extract<View, { kind: 'call' }>) => {
    const s = v.state;
    if (s.step === 'queued') return t('queued', { position: s.position ?? 1 });
    if (s.step === 'answered') return t('inCall');
    if (s.step === 'transferring') return t('transferring');
    if (s.step === 'on-hold') return t('onHold');
    if (s.target === 'reception' && (s.routeIndex ?? 0) > 0) return t('ringingReception');
    return t(s.target === 'person' ? 'ringingPerson' : 'ringingGroup', { name: v.name });
  };

  return (
    <Shell title={t('title')}>
      {!online && <p class="banner warn" role="status">{t('reconnecting')}</p>}
      {door && <p class={`banner ${door === 'failed' ? 'warn' : 'ok'}`} role="status" data-testid="door-state" data-door={door}>
        {t(door === 'open' ? 'doorOpen' : door === 'opening' ? 'doorOpening' : 'doorFailed')}</p>}
      <span hidden data-testid="cues" data-cues={cueLog} />
      {view.kind === 'start' && <StartScreen socket={socket} content={content} reception={reception} onCall={(e) => void call(e)} />}
      {view.kind === 'call' && (
        <section class="call">
          <p class="state" role="status" data-step={view.state.step}>{stateText(view)}</p>
          <div class="stage">
            {/* A telephone that called the terminal sends no picture: its voice plays, the notice stands where a picture would. */}
            {view.callback ? <>
              <div class="banner callback" role="alert" data-testid="callback-notice" data-chime={chime ?? undefined}>
                <strong>{t('callbackTitle', { caller: view.callback.caller })}</strong>
                <p>{t('callbackMedia', { caller: view.callback.caller })}</p>
                {view.callback.moved && <p data-testid="callback-moved">{t('callbackMoved', { caller: view.callback.caller })}</p>}
                <p>{t('callbackEnd')}</p>
              </div>
              <Audio stream={remote} label={t('remote')} />
            </> : <Video class="remote" stream={view.state.step === 'answered' ? remote : null} label={t('remote')} />}
            <Video class="local" stream={local} muted label={t('you')} />
            {view.state.step !== 'answered' && <Audio stream={early} label={t('ringback')} />}
          </div>
          <div class="controls">
            {view.state.step === 'answered' && <SignalQuality socket={socket} callId={view.callId} media={() => media.current} />}
            <button class="big danger" data-action="hangup" onClick={() => void hangup()}>{view.state.step === 'answered' ? t('hangup') : t('cancel')}</button>
          </div>
        </section>
      )}
      {view.kind === 'ended' && (
        <section class="ended" role="status" data-outcome={view.outcome} data-door-seen={doorSeen ?? undefined}>
          {view.outcome === 'closed' ? <><h1>{t('closed')}</h1><p>{t('closedHelp')}</p></> : (
            <h1>{view.outcome === 'answered' || view.outcome === 'cancelled' ? t('ended') : view.outcome === 'missed' ? t('noAnswer') : t('failed')}</h1>
          )}
        </section>
      )}
    </Shell>
  );
}

function showPairing(root: HTMLElement): void {
  render(<Shell title="Portier"><Pairing /></Shell>, root);
}

async function main() {
  const root = document.getElementById('app')!;
  installFormMessages();
  try {
    await api('GET', '/api/terminal/me');
  } catch {
    showPairing(root);
    return;
  }
  lockScreen();
  document.body.classList.add('kiosk');
  document.addEventListener('visibilitychange', () => { if (document.visibilityState === 'visible') lockScreen(); });
  // Connected by the Terminal's socket effect, once its listeners are there.
  const socket = io('/terminal', { transports: ['websocket'], reconnectionDelayMax: 5000, autoConnect: false });
  const unpaired = () => { socket.close(); render(null, root); showPairing(root); };
  render(<Terminal socket={socket} unpaired={unpaired} />, root);
}

void main();

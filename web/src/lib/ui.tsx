// Small shared UI pieces: video element bound to a stream, page shell, styles.
import { useEffect, useRef } from 'preact/hooks';
import type { ComponentChildren } from 'preact';
import { LangSwitch } from './i18n.tsx';

export function Video(props: { stream?: MediaStream | null; muted?: boolean; label: string; class?: string }) {
  const ref = useRef<HTMLVideoElement>(null);
  useEffect(() => {
    const el = ref.current;
    if (el && el.srcObject !== (props.stream ?? null)) el.srcObject = props.stream ?? null;
  }, [props.stream]);
  // A media element that still holds a stream is kept alive with its subtree:
  // release it when the element leaves the page (unattended terminals run for days).
  useEffect(() => () => {
    const el = ref.current;
    if (el) { el.pause(); el.srcObject = null; }
  }, []);
  return <video ref={ref} class={props.class} autoPlay playsInline muted={props.muted} aria-label={props.label} />;
}

/** Plays a stream's audio without showing anything (a telephone's ringback while the call rings); a new stream object for new tracks. */
export function Audio(props: { stream?: MediaStream | null; label: string }) {
  const ref = useRef<HTMLAudioElement>(null);
  useEffect(() => {
    const el = ref.current;
    if (!el || el.srcObject === (props.stream ?? null)) return;
    el.srcObject = props.stream ?? null;
    // The visitor's touch that started the call allows it; a refusal leaves the call silent, never broken.
    if (props.stream) void el.play().catch(() => undefined);
  }, [props.stream]);
  useEffect(() => () => {
    const el = ref.current;
    if (el) { el.pause(); el.srcObject = null; }
  }, []);
  return <audio ref={ref} autoPlay aria-label={props.label} data-early />;
}

export function Shell(props: { title: string; children: ComponentChildren }) {
  useEffect(() => { document.title = `Portier – ${props.title}`; }, [props.title]);
  return (
    <div class="shell">
      <header><span class="brand">Portier</span><span class="title">{props.title}</span><LangSwitch /></header>
      <main id="main">{props.children}</main>
    </div>
  );
}

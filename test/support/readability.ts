// "Text readable at 1 m" (issue 12) as a check on a page in Chromium: every
// visible text — text nodes, input values and placeholders — at least BODY_MIN_PX
// CSS pixels, the primary actions' at least PRIMARY_MIN_PX.
//
// Why these numbers. A CSS pixel is defined as an angle, 0.0213° (CSS Values 4,
// the reference pixel), and a kiosk is set up (its screen's size and scaling) for
// its viewing distance, about 1 m for a visitor standing in front of it. ISO
// 9241-303 and ANSI/HFES 100 ask for characters of at least 16 arc minutes, 20–22'
// preferred, for text people read. Capitals and ascenders are about 0.7 em high:
//   20 px × 0.7 × 0.0213° × 60 = 17.9'  — above the minimum: the body text,
//   28 px × 0.7 × 0.0213° × 60 = 25.0'  — above the preferred range: the primary
//     actions (call the reception, hang up, cancel), read at a glance while reaching
//     for them, maybe by someone who left their reading glasses at home.
// Measured from the computed style, so a font-size in any unit (rem, vw, clamp) counts.
import type { Page } from 'playwright-core';

export const BODY_MIN_PX = 20;
export const PRIMARY_MIN_PX = 28;
/** What counts as a primary action on the terminal: its large buttons. */
export const PRIMARY = 'button.big, button.primary';

export interface SmallText { text: string; px: number; min: number; where: string }

/** Every visible text on the page that is smaller than its minimum (empty: all readable). */
export async function smallTexts(page: Page): Promise<SmallText[]> {
  return page.evaluate(({ body, primary, primarySelector }) => {
    const found: Array<{ text: string; px: number; min: number; where: string }> = [];
    /** Shown on screen: rendered, not hidden or transparent, not clipped away (.visually-hidden), inside the viewport. */
    const shown = (el: Element): boolean => {
      if (!el.checkVisibility({ opacityProperty: true, visibilityProperty: true })) return false;
      for (let a: Element | null = el; a; a = a.parentElement) {
        const r = a.getBoundingClientRect();
        const style = getComputedStyle(a);
        if (style.overflow !== 'visible' && (r.width <= 1 || r.height <= 1)) return false;
      }
      const r = el.getBoundingClientRect();
      return r.width > 0 && r.height > 0 && r.bottom > 0 && r.right > 0 && r.top < innerHeight && r.left < innerWidth;
    };
    const where = (el: Element) => {
      const parts: string[] = [];
      for (let a: Element | null = el; a && a !== document.body && parts.length < 3; a = a.parentElement) {
        parts.unshift(a.tagName.toLowerCase() + (a.classList.length ? `.${Array.from(a.classList).join('.')}` : ''));
      }
      return parts.join(' > ');
    };
    const check = (el: Element, text: string) => {
      const px = parseFloat(getComputedStyle(el).fontSize);
      const min = el.closest(primarySelector) ? primary : body;
      if (px < min - 0.01) found.push({ text: text.trim().slice(0, 60), px: Math.round(px * 10) / 10, min, where: where(el) });
    };
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const el = node.parentElement;
      if (!el || !node.textContent?.trim() || ['SCRIPT', 'STYLE', 'TEMPLATE'].includes(el.tagName)) continue;
      const range = document.createRange();
      range.selectNodeContents(node);
      if (!Array.from(range.getClientRects()).some((r) => r.width > 1 && r.height > 1) || !shown(el)) continue;
      check(el, node.textContent);
    }
    for (const input of Array.from(document.querySelectorAll<HTMLInputElement | HTMLTextAreaElement>('input:not([type=hidden]):not([type=checkbox]):not([type=radio]), textarea'))) {
      const text = input.value || input.placeholder;
      if (text.trim() && shown(input)) check(input, text);
    }
    return found;
  }, { body: BODY_MIN_PX, primary: PRIMARY_MIN_PX, primarySelector: PRIMARY });
}

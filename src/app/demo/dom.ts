// The demo page's small DOM helpers and its CSS (on top of report.html's), apart from the page's behaviour in main.ts.

import { REPORT_CSS } from '../report/html';

export const CSS = `${REPORT_CSS}
body{max-width:1280px}
section{margin:0 0 8px}
.row{display:flex;flex-wrap:wrap;gap:10px 18px;align-items:end;margin:6px 0}
label{display:flex;flex-direction:column;font-size:12px;color:#555;gap:2px}
input[type=number],input[type=text],select{font:inherit;padding:3px 5px;width:110px}
input[type=text]{width:200px}
button{font:inherit;padding:5px 14px;cursor:pointer}
button:disabled{cursor:default;opacity:.5}
.status{margin:6px 0;color:#333;min-height:1.4em}
.error{color:#b00020;background:#fdecee;border:1px solid #f3b8c0;padding:6px 10px;border-radius:4px}
.warn{color:#7a5200}
.note{color:#666;font-size:12px}
#progress{font-family:ui-monospace,monospace;font-size:12px;white-space:pre-wrap}
progress{width:360px}
.bar{display:inline-block;height:10px;background:#0072b2;vertical-align:middle}
details summary{cursor:pointer;color:#444}
`;

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  for (const c of children) e.append(c);
  return e;
}
export const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
export const field = (label: string, input: HTMLElement) => el('label', {}, label, input);
export const numberInput = (id: string, value: number, attrs: Record<string, string> = {}) =>
  el('input', { id, type: 'number', value: String(value), ...attrs });

export function setStatus(id: string, text: string, kind: 'info' | 'error' | 'warn' = 'info') {
  const s = $(id);
  s.textContent = text;
  s.className = `status${kind === 'info' ? '' : ` ${kind}`}`;
}

export function errorText(e: unknown): string {
  if (e instanceof Error) return e.message.split('\n')[0];
  return String(e);
}

export function download(bytes: Uint8Array | string, name: string, type: string) {
  const blob = new Blob([bytes as BlobPart], { type });
  const a = el('a', { href: URL.createObjectURL(blob), download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}

/**
 * Table cells truncate with an ellipsis (layout.css); this gives every truncated cell its full
 * text on hover (a title) and on click or Enter (a popover that scrolls), without each panel
 * having to know: one delegated listener for all panels' tables.
 */
import { useEffect, useRef, useState } from 'react';

const CELL = '.panel table td, .panel table th';

function cellOf(target: EventTarget | null): HTMLElement | null {
  if (!(target instanceof Element)) return null;
  if (target.closest('button, input, select, textarea, a')) return null;
  return target.closest<HTMLElement>(CELL);
}

const isTruncated = (cell: HTMLElement) => cell.scrollWidth > cell.clientWidth + 1;

/** Marks the cells that are cut off now: full text as a title, and focusable so a keyboard can open them. */
function markTruncated(): void {
  for (const cell of document.querySelectorAll<HTMLElement>(CELL)) {
    if (cell.querySelector('button, input, select, textarea')) continue;
    const cut = isTruncated(cell);
    cell.classList.toggle('is-truncated', cut);
    if (cut) {
      cell.title = cell.textContent ?? '';
      cell.tabIndex = 0;
    } else if (cell.classList.contains('was-truncated') || cell.tabIndex === 0) {
      cell.removeAttribute('title');
      cell.removeAttribute('tabindex');
    }
    cell.classList.toggle('was-truncated', cut);
  }
}

interface Opened {
  text: string;
  cell: HTMLElement;
  top: number;
  left: number;
}

export function TruncatedCells() {
  const [opened, setOpened] = useState<Opened | null>(null);
  const closeRef = useRef<HTMLButtonElement>(null);
  // After every render of the app (it re-renders each second): new rows and resizes are covered.
  useEffect(markTruncated);
  useEffect(() => {
    const open = (cell: HTMLElement) => {
      if (!isTruncated(cell)) return;
      const r = cell.getBoundingClientRect();
      const width = Math.min(520, window.innerWidth - 16);
      setOpened({
        text: cell.textContent ?? '',
        cell,
        // Below the cell, or higher up when that would leave the window (the popover is at most ~270 px tall).
        top: Math.max(8, Math.min(r.bottom + 4, window.innerHeight - 290)),
        left: Math.max(8, Math.min(r.left, window.innerWidth - width - 8)),
      });
    };
    const onClick = (event: Event) => {
      const cell = cellOf(event.target);
      if (cell) open(cell);
    };
    const onKey = (event: KeyboardEvent) => {
      if (event.key !== 'Enter' && event.key !== ' ') return;
      const cell = cellOf(event.target);
      if (cell && event.target === cell) {
        event.preventDefault();
        open(cell);
      }
    };
    window.addEventListener('resize', markTruncated);
    document.addEventListener('click', onClick);
    document.addEventListener('keydown', onKey);
    return () => {
      window.removeEventListener('resize', markTruncated);
      document.removeEventListener('click', onClick);
      document.removeEventListener('keydown', onKey);
    };
  }, []);
  useEffect(() => {
    if (opened) closeRef.current?.focus();
  }, [opened]);
  if (!opened) return null;
  const close = () => {
    opened.cell.focus();
    setOpened(null);
  };
  return (
    <div
      className="cell-popover"
      role="dialog"
      aria-label="Full text"
      data-testid="cell-popover"
      style={{ top: opened.top, left: opened.left }}
      onKeyDown={(e) => e.key === 'Escape' && close()}
    >
      <div className="cell-popover__text">{opened.text}</div>
      <button type="button" ref={closeRef} onClick={close}>
        Close
      </button>
    </div>
  );
}

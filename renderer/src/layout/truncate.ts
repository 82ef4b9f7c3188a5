/**
 * Table cells truncate with an ellipsis (layout.css); this gives every truncated cell its full
 * text on hover (a title) and on click or Enter (expanded in place), without each panel having
 * to know: one delegated listener for all panels' tables.
 */
import { useEffect } from 'react';

const CELL = '.panel table td, .panel table th';

function truncatedCell(target: EventTarget | null): HTMLElement | null {
  if (!(target instanceof Element)) return null;
  if (target.closest('button, input, select, textarea, a')) return null;
  return target.closest<HTMLElement>(CELL);
}

const isTruncated = (cell: HTMLElement) => cell.scrollWidth > cell.clientWidth + 1;

/** Marks the cells that are cut off now: full text as a title, and focusable so a keyboard can expand them. */
function markTruncated(): void {
  for (const cell of document.querySelectorAll<HTMLElement>(CELL)) {
    if (cell.querySelector('button, input, select, textarea')) continue;
    const cut = isTruncated(cell) || cell.classList.contains('is-expanded');
    cell.classList.toggle('is-truncated', cut);
    if (cut) {
      cell.title = cell.textContent ?? '';
      cell.tabIndex = 0;
    } else if (cell.tabIndex === 0) {
      cell.removeAttribute('title');
      cell.removeAttribute('tabindex');
    }
  }
}

export function useTruncatedCells(): void {
  // After every render (the app re-renders each second), so new rows and resizes are covered.
  useEffect(markTruncated);
  useEffect(() => {
    const onOver = () => markTruncated();
    const toggle = (cell: HTMLElement) => {
      if (cell.classList.contains('is-expanded') || isTruncated(cell)) {
        cell.classList.toggle('is-expanded');
      }
    };
    const onClick = (event: Event) => {
      const cell = truncatedCell(event.target);
      if (cell) toggle(cell);
    };
    const onKey = (event: KeyboardEvent) => {
      if (event.key !== 'Enter' && event.key !== ' ') return;
      const cell = truncatedCell(event.target);
      if (cell && event.target === cell) {
        event.preventDefault();
        toggle(cell);
      }
    };
    window.addEventListener('resize', onOver);
    document.addEventListener('click', onClick);
    document.addEventListener('keydown', onKey);
    return () => {
      window.removeEventListener('resize', onOver);
      document.removeEventListener('click', onClick);
      document.removeEventListener('keydown', onKey);
    };
  }, []);
}

/** Human durations for the staleness meter: "45 s", "12 min", "2 h 5 min". */
export function formatDuration(ms: number | null): string {
  if (ms === null) return '—';
  const sign = ms < 0 ? '-' : '';
  const s = Math.round(Math.abs(ms) / 1000);
  if (s < 60) return `${sign}${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${sign}${m} min ${s % 60 ? `${s % 60} s` : ''}`.trim();
  const h = Math.floor(m / 60);
  return `${sign}${h} h ${m % 60} min`;
}

export function formatTime(ms: number | null): string {
  return ms === null ? 'never' : new Date(ms).toLocaleTimeString();
}

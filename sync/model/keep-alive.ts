/**
 * The live stream's one timing fact and what follows from it. The server writes a keep-alive
 * after `KEEPALIVE_MS` without output; the client's silence timeout and the UI's "live" window
 * are derived from it, so changing the interval moves them together.
 */

/** The server writes a keep-alive (an SSE comment) after this long without output. */
export const KEEPALIVE_MS = 15_000;

/**
 * Data counts as "live" while the stream was confirmed this recently: two intervals (one
 * keep-alive may be late behind a loaded server's sweep or a buffering proxy) plus 10 s slack.
 * Shorter than `LIVE_SILENCE_MS`, so the UI stops saying "live" before the stream is dropped.
 */
export const LIVE_CONFIRM_MS = 2 * KEEPALIVE_MS + 10_000;

/**
 * A stream silent for three intervals is dead (half-open, which would otherwise never end): the
 * client drops and reconnects it.
 */
export const LIVE_SILENCE_MS = 3 * KEEPALIVE_MS;

/** The writable side of a terminal or a pipe: what the progress display needs from process.stdout/stderr. */
export type Sink = { write(text: string): unknown; isTTY?: boolean };

const FRAMES = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
const CLEAR_LINE = "\r\x1b[2K";
const HIDE_CURSOR = "\x1b[?25l";
const SHOW_CURSOR = "\x1b[?25h";

/** Elapsed time in the largest readable units: `1.2s`, `2m05s`, `3h01m`, `8d00h`. */
export function formatElapsed(ms: number): string {
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.floor((ms % 60_000) / 1000);
  if (minutes < 60) return `${minutes}m${String(seconds).padStart(2, "0")}s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours}h${String(minutes % 60).padStart(2, "0")}m`;
  return `${Math.floor(hours / 24)}d${String(hours % 24).padStart(2, "0")}h`;
}

/** Color only on a terminal, and never when NO_COLOR is set (no-color.org). */
export function painter(sink: Sink, env: NodeJS.ProcessEnv = process.env) {
  const on = Boolean(sink.isTTY) && env.NO_COLOR === undefined;
  const wrap = (code: number) => (text: string) => (on ? `\x1b[${code}m${text}\x1b[0m` : text);
  return { green: wrap(32), red: wrap(31), yellow: wrap(33), dim: wrap(2), bold: wrap(1) };
}

/**
 * A progress display: permanent lines (states entered and left, retries, waits) plus, on a terminal, one spinner line
 * at the bottom with the current state and the elapsed time. Off a terminal it prints the permanent lines only, so logs
 * and pipes get plain text without control characters.
 */
export class Progress {
  private frame = 0;
  private timer?: NodeJS.Timeout;
  private current = "";
  private readonly started: number;
  private readonly animate: boolean;

  constructor(
    private readonly sink: Sink,
    private readonly now: () => number = Date.now,
    options: { animate?: boolean } = {},
  ) {
    this.started = now();
    this.animate = options.animate ?? Boolean(sink.isTTY);
  }

  get elapsedMs(): number {
    return this.now() - this.started;
  }

  /** Sets what the spinner line says (the current state, a retry, a wait). */
  status(text: string): void {
    this.current = text;
    if (!this.animate) return;
    if (!this.timer) {
      this.sink.write(HIDE_CURSOR);
      this.timer = setInterval(() => this.draw(), 80);
      this.timer.unref();
    }
    this.draw();
  }

  /** A permanent line, printed above the spinner. */
  line(text: string): void {
    if (this.animate && this.timer) this.sink.write(CLEAR_LINE);
    this.sink.write(`${text}\n`);
    if (this.animate && this.timer) this.draw();
  }

  /** Removes the spinner line and gives the cursor back. Safe to call twice. */
  stop(): void {
    if (!this.timer) return;
    clearInterval(this.timer);
    this.timer = undefined;
    this.sink.write(`${CLEAR_LINE}${SHOW_CURSOR}`);
  }

  private draw(): void {
    const spinner = FRAMES[this.frame++ % FRAMES.length];
    this.sink.write(`${CLEAR_LINE}${spinner} ${this.current} · ${formatElapsed(this.elapsedMs)}`);
  }
}

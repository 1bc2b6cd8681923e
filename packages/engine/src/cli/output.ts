import Table from 'cli-table3';

/**
 * Docker-style borderless columns (what people expect from `ls`), drawn by cli-table3 with its
 * borders blanked so wide cells still wrap and align.
 */
export function table(head: string[], rows: Array<Array<string | number>>): string {
  const t = new Table({
    head,
    chars: {
      top: '', 'top-mid': '', 'top-left': '', 'top-right': '', bottom: '', 'bottom-mid': '', 'bottom-left': '',
      'bottom-right': '', left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: '   ',
    },
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0 },
  });
  for (const row of rows) t.push(row.map(String));
  return t.toString().split('\n').map((line) => line.trimEnd()).join('\n');
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Docker's short ids: the first 12 hex digits, with any "sha256:" prefix dropped. */
export function shortId(id: string | undefined): string {
  return (id ?? '').replace(/^sha256:/, '').slice(0, 12);
}

/** "5 minutes ago" from unix seconds or an RFC 3339 string, like Docker's HumanDuration. */
export function ago(when: number | string | undefined, now = Date.now()): string {
  if (when === undefined) return '';
  const ms = typeof when === 'number' ? when * 1000 : Date.parse(when);
  if (!Number.isFinite(ms)) return '';
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 1) return 'Less than a second ago';
  if (s < 60) return `${s} seconds ago`;
  if (s < 3600) return `${Math.round(s / 60)} minutes ago`;
  if (s < 172800) return `${Math.round(s / 3600)} hours ago`;
  return `${Math.round(s / 86400)} days ago`;
}

export function humanSize(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let v = bytes;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(v < 10 ? 2 : 1)}${units[i]}`;
}

/**
 * A one-line progress indicator on stderr for slow operations (import, run, stop). Silent when
 * stderr is not a terminal, so scripts and `--format json` consumers see clean output.
 */
export class Spinner {
  #timer: NodeJS.Timeout | undefined;
  #frame = 0;
  #text = '';
  readonly #tty = process.stderr.isTTY === true;

  start(text: string): this {
    this.#text = text;
    if (!this.#tty) return this;
    const frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
    const draw = (): void => {
      process.stderr.write(`\r\x1b[2K${frames[this.#frame++ % frames.length]} ${this.#text}`);
    };
    draw();
    this.#timer = setInterval(draw, 80);
    this.#timer.unref();
    return this;
  }

  update(text: string): void {
    this.#text = text;
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    if (this.#tty) process.stderr.write('\r\x1b[2K');
  }

  async wrap<T>(text: string, work: () => Promise<T>): Promise<T> {
    this.start(text);
    try {
      return await work();
    } finally {
      this.stop();
    }
  }
}

export function spin<T>(text: string, work: () => Promise<T>): Promise<T> {
  return new Spinner().wrap(text, work);
}

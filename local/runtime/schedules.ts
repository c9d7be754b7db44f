/**
 * EventBridge schedule expressions on the simulated clock: `rate(5 minutes)` and `cron(min hour dom month dow year)`
 * with `*`, `?`, lists, ranges, steps and names (JAN, MON). `L`, `W` and `#` are refused at deploy with a clear
 * message rather than approximated.
 */
const RATE = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/;
const UNIT_MS: Record<string, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };
const MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

type Cron = {
  minutes: Set<number>;
  hours: Set<number>;
  dom?: Set<number>;
  months: Set<number>;
  dow?: Set<number>;
  years?: Set<number>;
};
export type Schedule = { kind: "rate"; periodMs: number } | { kind: "cron"; cron: Cron };

export function parseSchedule(expression: string): Schedule {
  const rate = RATE.exec(expression.trim());
  if (rate) {
    const n = Number(rate[1]);
    const unit = (rate[2] as string).replace(/s$/, "");
    if (n < 1 || (n === 1) !== !(rate[2] as string).endsWith("s")) {
      throw new Error(`Invalid schedule '${expression}': use e.g. rate(1 minute) or rate(5 minutes)`);
    }
    return { kind: "rate", periodMs: n * (UNIT_MS[unit] as number) };
  }
  const cron = /^cron\((.+)\)$/.exec(expression.trim());
  if (!cron) throw new Error(`Invalid schedule '${expression}': expected rate(...) or cron(...)`);
  const fields = (cron[1] as string).trim().split(/\s+/);
  if (fields.length !== 6) throw new Error(`Invalid schedule '${expression}': cron needs 6 fields`);
  const [min, hour, dom, month, dow, year] = fields as [string, string, string, string, string, string];
  if (/[LW#]/.test(`${dom} ${dow}`)) throw new Error(`Schedule '${expression}': L, W and # are not supported locally`);
  if ((dom === "?") === (dow === "?")) {
    throw new Error(`Invalid schedule '${expression}': exactly one of day-of-month and day-of-week must be ?`);
  }
  return {
    kind: "cron",
    cron: {
      minutes: field(min, 0, 59),
      hours: field(hour, 0, 23),
      ...(dom === "?" ? {} : { dom: field(dom, 1, 31) }),
      months: field(month, 1, 12, MONTHS, 1),
      // AWS numbers days 1 (SUN) to 7 (SAT).
      ...(dow === "?" ? {} : { dow: new Set([...field(dow, 1, 7, DAYS, 1)].map((d) => d - 1)) }),
      ...(year === "*" ? {} : { years: field(year, 1970, 2199) }),
    },
  };
}

function field(text: string, lo: number, hi: number, names: string[] = [], base = 0): Set<number> {
  const out = new Set<number>();
  const value = (v: string) => {
    const i = names.indexOf(v.toUpperCase());
    const n = i >= 0 ? i + base : Number(v);
    if (!Number.isInteger(n) || n < lo || n > hi) throw new Error(`Invalid cron value '${v}' (allowed ${lo}-${hi})`);
    return n;
  };
  for (const part of text.split(",")) {
    const [range = "", stepText] = part.split("/");
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) throw new Error(`Invalid cron step in '${part}'`);
    const [from, to] =
      range === "*" || range === "?"
        ? [lo, hi]
        : range.includes("-")
          ? (range.split("-").map(value) as [number, number])
          : [value(range), stepText === undefined ? value(range) : hi];
    for (let n = from; n <= to; n += step) out.add(n);
  }
  return out;
}

/** The first firing strictly after `after` (simulated ms, UTC). */
export function nextFiring(schedule: Schedule, after: number, anchor: number): number {
  if (schedule.kind === "rate") {
    const elapsed = Math.max(0, after - anchor);
    return anchor + (Math.floor(elapsed / schedule.periodMs) + 1) * schedule.periodMs;
  }
  const { cron } = schedule;
  const t = new Date(Math.floor(after / 60_000) * 60_000 + 60_000);
  for (let guard = 0; guard < 600_000; guard++) {
    const year = t.getUTCFullYear();
    if (year > 2199) break;
    if (cron.years && !cron.years.has(year)) {
      t.setUTCFullYear(year + 1, 0, 1);
      t.setUTCHours(0, 0, 0, 0);
      continue;
    }
    const dayOk =
      cron.months.has(t.getUTCMonth() + 1) &&
      (!cron.dom || cron.dom.has(t.getUTCDate())) &&
      (!cron.dow || cron.dow.has(t.getUTCDay()));
    if (!dayOk) {
      t.setUTCDate(t.getUTCDate() + 1);
      t.setUTCHours(0, 0, 0, 0);
      continue;
    }
    if (!cron.hours.has(t.getUTCHours())) {
      t.setUTCHours(t.getUTCHours() + 1, 0, 0, 0);
      continue;
    }
    if (!cron.minutes.has(t.getUTCMinutes())) {
      t.setUTCMinutes(t.getUTCMinutes() + 1, 0, 0);
      continue;
    }
    return t.getTime();
  }
  return Number.POSITIVE_INFINITY;
}

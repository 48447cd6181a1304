// The pictures and small pieces every view uses: bars, the budget gauge, a timeline, labels.
import type { ComponentChildren } from "preact";

import { timestampDate, type Timestamp } from "./gen.js";

/** An enum value's name without its prefix, lowercase: ServiceKeyState.ACTIVE -> "active". */
export function label(names: Record<number, string>, value: number): string {
  return (names[value] ?? "unspecified").toLowerCase().replaceAll("_", " ");
}

export function when(time: Timestamp | undefined): string {
  if (!time) return "—";
  return timestampDate(time).toISOString().replace("T", " ").slice(0, 19) + " UTC";
}

/** The time of day only (UTC), where the date is plain from the context. */
export function clock(time: Timestamp | undefined): string {
  return time ? timestampDate(time).toISOString().slice(11, 19) : "";
}

/** "in 3 h" / "5 min ago": how far a time is from now. */
export function relative(time: Timestamp | undefined): string {
  if (!time) return "—";
  const seconds = Math.round((timestampDate(time).getTime() - Date.now()) / 1000);
  const size = Math.abs(seconds);
  const text =
    size < 90 ? `${size} s` : size < 5400 ? `${Math.round(size / 60)} min` : size < 172800 ? `${Math.round(size / 3600)} h` : `${Math.round(size / 86400)} d`;
  return seconds >= 0 ? `in ${text}` : `${text} ago`;
}

export function mbps(value: bigint | number): string {
  const n = Number(value);
  return n >= 1000 && n % 1000 === 0 ? `${n / 1000} Gbps` : `${n} Mbps`;
}

/** A horizontal bar: `fraction` of the width filled, red past `warnAt`. */
export function Bar(props: { fraction: number; title: string; warnAt?: number; testid?: string }) {
  const fraction = Math.max(0, Math.min(1, Number.isFinite(props.fraction) ? props.fraction : 0));
  const warn = fraction >= (props.warnAt ?? 0.8);
  return (
    <div class="bar" title={props.title} data-testid={props.testid}>
      <div class={warn ? "bar-fill warn" : "bar-fill"} style={{ width: `${(fraction * 100).toFixed(1)}%` }} />
      <span class="bar-text">{props.title}</span>
    </div>
  );
}

/** A half-circle gauge of used against limit (Megaport's request budget). */
export function Gauge(props: { used: number; limit: number; caption: string }) {
  const fraction = props.limit > 0 ? Math.min(1, props.used / props.limit) : 0;
  const angle = Math.PI * (1 - fraction);
  const [x, y] = [60 + 50 * Math.cos(angle), 60 - 50 * Math.sin(angle)];
  const tone = fraction >= 0.9 ? "gauge-red" : fraction >= 0.7 ? "gauge-amber" : "gauge-green";
  return (
    <figure class="gauge" data-testid="budget-gauge">
      <svg viewBox="0 0 120 70" role="img" aria-label={`${props.used} of ${props.limit}`}>
        <path d="M10 60 A50 50 0 0 1 110 60" class="gauge-track" />
        {fraction > 0 && <path d={`M10 60 A50 50 0 0 1 ${x.toFixed(2)} ${y.toFixed(2)}`} class={`gauge-fill ${tone}`} />}
        <text x="60" y="58" class="gauge-text">
          {props.used}/{props.limit}
        </text>
      </svg>
      <figcaption>{props.caption}</figcaption>
    </figure>
  );
}

/** Steps along a path, the reached ones filled, each with the time it was seen if known. */
export function Timeline(props: { steps: { name: string; reached: boolean; at?: string; failed?: boolean }[] }) {
  return (
    <ol class="timeline" data-testid="timeline">
      {props.steps.map((step) => (
        <li class={step.failed ? "step failed" : step.reached ? "step reached" : "step"} data-step={step.name} key={step.name}>
          <span class="dot" />
          <span class="step-name">{step.name}</span>
          {step.at && <span class="step-time">{step.at}</span>}
        </li>
      ))}
    </ol>
  );
}

export function Card(props: { title: string; children: ComponentChildren; testid?: string }) {
  return (
    <section class="card" data-testid={props.testid}>
      <h2>{props.title}</h2>
      {props.children}
    </section>
  );
}

export function ErrorLine(props: { error: unknown; describe: (e: unknown) => string }) {
  if (props.error === undefined || props.error === null) return null;
  return (
    <p class="error" role="alert">
      {props.describe(props.error)}
    </p>
  );
}

/** Counts of values by name, for the "by state" summaries. */
export function Counts(props: { counts: Map<string, number>; testid: string }) {
  if (props.counts.size === 0) {
    return (
      <p class="muted" data-testid={props.testid}>
        None yet.
      </p>
    );
  }
  return (
    <ul class="counts" data-testid={props.testid}>
      {[...props.counts.entries()].map(([name, count]) => (
        <li key={name} data-name={name}>
          <b>{count}</b> {name}
        </li>
      ))}
    </ul>
  );
}

export function countBy<T>(items: T[], name: (item: T) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(name(item), (counts.get(name(item)) ?? 0) + 1);
  return new Map([...counts.entries()].sort());
}

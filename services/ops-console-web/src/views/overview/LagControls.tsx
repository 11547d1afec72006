import type { LagMeasure, LagWindow } from '@slidecharge/contracts/ops-console';

function Choice<T extends string>({ legend, name, value, options, onChange }: { legend: string; name: string; value: T; options: Array<[T, string]>; onChange(v: T): void }) {
  return (
    <fieldset className="choice">
      <legend>{legend}</legend>
      {options.map(([v, text]) => (
        <label key={v}>
          <input type="radio" name={name} value={v} checked={value === v} onChange={() => onChange(v)} /> {text}
        </label>
      ))}
    </fieldset>
  );
}

export function LagControls(props: { measure: LagMeasure; window: LagWindow; onMeasure(m: LagMeasure): void; onWindow(w: LagWindow): void }) {
  return (
    <div className="row">
      <Choice
        legend="Measure"
        name="lag-measure"
        value={props.measure}
        onChange={props.onMeasure}
        options={[
          ['scan-to-charge', 'Scan to charge'],
          ['case-to-charge', 'Case to charge'],
        ]}
      />
      <Choice
        legend="Window"
        name="lag-window"
        value={props.window}
        onChange={props.onWindow}
        options={[
          ['1h', 'Last hour'],
          ['24h', 'Last 24 hours'],
        ]}
      />
    </div>
  );
}

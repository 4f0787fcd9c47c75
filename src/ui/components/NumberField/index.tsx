export interface NumberFieldProps {
  readonly label: string;
  readonly value: number;
  readonly onChange: (value: number) => void;
  readonly min?: number;
  readonly max?: number;
  readonly step?: number | 'any';
  /** Integers only (steps, counts). */
  readonly integer?: boolean;
  readonly disabled?: boolean;
}

/** A labelled number input that reports only finite values (an emptied field keeps the last one). */
export function NumberField({ label, value, onChange, min, max, step = 'any', integer = false, disabled = false }: NumberFieldProps) {
  return (
    <label className="field">
      {label}
      <input
        type="number"
        // Named explicitly: a wrapping label's name would include the field's own value.
        aria-label={label}
        value={value}
        step={integer ? 1 : step}
        disabled={disabled}
        {...(min !== undefined ? { min } : {})}
        {...(max !== undefined ? { max } : {})}
        onChange={(e) => {
          const v = e.target.valueAsNumber;
          if (Number.isFinite(v)) onChange(integer ? Math.round(v) : v);
        }}
      />
    </label>
  );
}

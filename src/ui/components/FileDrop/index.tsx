import { useRef, useState, type DragEvent, type ReactNode } from 'react';

export interface FileDropProps {
  /** The accessible name of the drop zone and its picker. */
  readonly label: string;
  readonly accept?: string;
  readonly disabled?: boolean;
  readonly onFile: (file: File) => void;
  readonly children?: ReactNode;
}

/** A drop zone with a file picker behind it: the same file path whether dragged in or chosen. */
export function FileDrop({ label, accept, disabled = false, onFile, children }: FileDropProps) {
  const input = useRef<HTMLInputElement>(null);
  const [over, setOver] = useState(false);
  const onDrop = (e: DragEvent) => {
    // The page itself takes drops too (PNG restore, init image): this zone's drop is its own.
    e.preventDefault();
    e.stopPropagation();
    setOver(false);
    const file = e.dataTransfer.files[0];
    if (file && !disabled) onFile(file);
  };
  return (
    <div
      className={`file-drop${over ? ' over' : ''}`}
      role="group"
      aria-label={label}
      onDragOver={(e) => (e.preventDefault(), setOver(true))}
      onDragLeave={() => setOver(false)}
      onDrop={onDrop}
    >
      {children}
      <button type="button" disabled={disabled} onClick={() => input.current?.click()}>
        Choose a file…
      </button>
      <input
        ref={input}
        type="file"
        hidden
        aria-label={`${label}: file picker`}
        {...(accept ? { accept } : {})}
        onChange={(e) => {
          const file = e.target.files?.[0];
          if (file) onFile(file);
          e.target.value = '';
        }}
      />
    </div>
  );
}

import { useRef, useState, type DragEvent, type ReactNode } from 'react';

interface CommonProps {
  /** The accessible name of the drop zone and its picker. */
  readonly label: string;
  readonly accept?: string;
  readonly disabled?: boolean;
  readonly children?: ReactNode;
}

/** One file, or (`multiple`) every file dropped or picked at once, a folder's included. */
export type FileDropProps = CommonProps & ({ readonly multiple?: false; readonly onFile: (file: File) => void } | { readonly multiple: true; readonly onFiles: (files: File[]) => void });

interface PickerProps {
  readonly label: string;
  readonly text: string;
  readonly disabled: boolean;
  readonly multiple: boolean;
  readonly accept?: string | undefined;
  /** A folder picker (webkitdirectory): every file under the chosen folder. */
  readonly folder?: boolean;
  readonly onPick: (files: FileList | null) => void;
}

/** A button that opens a hidden file input. */
function Picker({ label, text, disabled, multiple, accept, folder = false, onPick }: PickerProps) {
  const input = useRef<HTMLInputElement>(null);
  return (
    <>
      <button type="button" disabled={disabled} onClick={() => input.current?.click()}>
        {text}
      </button>
      <input
        ref={input}
        type="file"
        hidden
        multiple={multiple}
        aria-label={label}
        {...(accept ? { accept } : {})}
        {...(folder ? { webkitdirectory: '' } : {})}
        onChange={(e) => {
          onPick(e.target.files);
          e.target.value = '';
        }}
      />
    </>
  );
}

/** A drop zone with a file picker behind it: the same file path whether dragged in or chosen. */
export function FileDrop(props: FileDropProps) {
  const { label, accept, disabled = false, children } = props;
  const [over, setOver] = useState(false);
  const take = (list: FileList | null | undefined) => {
    const files = [...(list ?? [])];
    if (files.length === 0 || disabled) return;
    if (props.multiple) props.onFiles(files);
    else props.onFile(files[0]!);
  };
  const onDrop = (e: DragEvent) => {
    // The page itself takes drops too (PNG restore, init image): this zone's drop is its own.
    e.preventDefault();
    e.stopPropagation();
    setOver(false);
    take(e.dataTransfer.files);
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
      <Picker label={`${label}: file picker`} text={props.multiple ? 'Choose files…' : 'Choose a file…'} disabled={disabled} multiple={props.multiple ?? false} accept={accept} onPick={take} />
      {props.multiple && <Picker label={`${label}: folder picker`} text="Choose a folder…" disabled={disabled} multiple folder onPick={take} />}
    </div>
  );
}
